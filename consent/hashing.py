"""The ledger's hash chain and the suppression hash: pure functions, no ORM."""

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

GENESIS = "0" * 64


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def evidence_digest(*, ip: str | None, user_agent: str, data: dict) -> str:
    return hashlib.sha256(canonical({"ip": ip or "", "ua": user_agent, "data": data})).hexdigest()


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    """sha256(prev_hash || canonical fields). ``fields`` holds strings only."""
    return hashlib.sha256(prev_hash.encode() + b"|" + canonical(fields)).hexdigest()


def phone_hash(key: bytes, business_uuid: str, e164: str) -> str:
    """Salted (keyed) hash of a phone within one business: not reversible without the key."""
    return hmac.new(key, f"{business_uuid}:{e164}".encode(), hashlib.sha256).hexdigest()


def phone_hasher(key: bytes, business_uuid: str) -> Callable[[str], str]:
    """``phone_hash`` for many numbers of one business: the keyed state is set up once."""
    prefix = hmac.new(key, f"{business_uuid}:".encode(), hashlib.sha256)

    def digest(e164: str) -> str:
        h = prefix.copy()
        h.update(e164.encode())
        return h.hexdigest()

    return digest
