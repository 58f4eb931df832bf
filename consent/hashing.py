"""The ledger's hash chain, the suppression hash and the chain checkpoints' signature: pure
functions, no ORM."""

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

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


CHECKPOINT_AUDIT_ACTION = "consent.chain_checkpoint"  # each checkpoint's copy in the audit trail


def checkpoint_key() -> bytes:
    """``CONSENT_CHECKPOINT_KEY`` (the signed chain-head checkpoints); derived from
    ``SECRET_KEY`` when unset, never stored in the database."""
    key = getattr(settings, "CONSENT_CHECKPOINT_KEY", "") or ""
    if not key:
        key = hashlib.sha256(b"consent-checkpoint|" + settings.SECRET_KEY.encode()).hexdigest()
    return key.encode()


def checkpoint_signature(*, business_uuid: str, seq: int, chain_hash: str) -> str:
    message = f"{business_uuid}|{seq}|{chain_hash}".encode()
    return hmac.new(checkpoint_key(), message, hashlib.sha256).hexdigest()


def suppression_key() -> bytes:
    """The key of the suppression list's phone hashes (``CONSENT_SUPPRESSION_KEY``)."""
    key = getattr(settings, "CONSENT_SUPPRESSION_KEY", "") or ""
    if not key:
        # Derived, not stored: a deployment sets CONSENT_SUPPRESSION_KEY explicitly.
        key = hashlib.sha256(b"consent-suppression|" + settings.SECRET_KEY.encode()).hexdigest()
    return key.encode()


def iso(value: datetime | None) -> str:
    """A moment as the chain stores it: ISO 8601 in UTC, "" for none."""
    return value.astimezone(UTC).isoformat() if value else ""


def chain_fields(
    event: Any,  # a ConsentEvent, or a row of values() when verifying
    *,
    business_uuid,
    contact_uuid,
    campaign_uuid,
    form_uuid,
) -> dict[str, str]:
    """The strings the chained hash covers (used when appending and when verifying)."""
    return {
        "uuid": str(event.uuid),
        "business": str(business_uuid),
        "seq": str(event.seq),
        "contact": str(contact_uuid),
        "kind": event.kind,
        "method": event.method,
        "campaign": str(campaign_uuid or ""),
        "scope_kind": event.scope_kind,
        "disclosure_text": event.disclosure_text,
        "policy_version": event.policy_version,
        "form": str(form_uuid or ""),
        "form_snapshot_sha256": event.form_snapshot_sha256,
        "page_url": event.page_url,
        "source": event.source,
        "consented_at": iso(event.consented_at),
        "recorded_by_label": event.recorded_by_label,
        "evidence_sha256": event.evidence_sha256,
        "created_at": iso(event.created_at),
    }
