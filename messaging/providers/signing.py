"""HMAC-SHA256 signatures of the simulated carrier's webhooks (timestamp + body)."""

import hashlib
import hmac
import math
import time

from django.conf import settings

TOLERANCE = 300  # seconds a signed request stays valid (replay protection)


def carrier_secret() -> bytes:
    secret = settings.CARRIER_WEBHOOK_SECRET
    if secret:
        return secret.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"carrier-webhook", hashlib.sha256).digest()


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, *, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> bool:
    try:
        ts = float(timestamp)
    except (TypeError, ValueError):
        return False
    if not math.isfinite(ts):  # "nan" is never "too old": every comparison with it is False
        return False
    if abs((now or time.time()) - ts) > TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")
