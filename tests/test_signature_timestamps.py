"""A signed webhook whose timestamp is not a finite number ("nan", "inf") is refused by
every signature checker: NaN compares False with everything, so it used to pass the
freshness check of the carrier, TCR and outgoing-event checkers forever (security review 2)."""

import time

import pytest
import stripe
from django.test import override_settings

from accounts.billing import processor
from accounts.events import services as events
from campaigns.registrars import tcr
from messaging.providers import signing

BODY = b'{"id": 1}'
NON_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity"]


@pytest.mark.parametrize("timestamp", NON_FINITE)
def test_carrier_refuses_non_finite_timestamp(timestamp):
    secret = b"s" * 32
    signature = signing.sign(secret, timestamp, BODY)
    assert not signing.verify(secret, timestamp=timestamp, signature=signature, body=BODY)
    now = str(time.time())
    fresh = signing.sign(secret, now, BODY)
    assert signing.verify(secret, timestamp=now, signature=fresh, body=BODY)


@pytest.mark.parametrize("timestamp", NON_FINITE)
def test_tcr_refuses_non_finite_timestamp(timestamp):
    signature = tcr.sign("secret", timestamp, BODY)
    assert not tcr.verify_webhook(
        secret="secret", body=BODY, timestamp=timestamp, signature=signature
    )
    now = str(int(time.time()))
    assert tcr.verify_webhook(
        secret="secret", body=BODY, timestamp=now, signature=tcr.sign("secret", now, BODY)
    )


@pytest.mark.parametrize("timestamp", NON_FINITE)
def test_event_webhook_refuses_non_finite_timestamp(timestamp):
    signature = events.webhook_signature(secret="secret", timestamp=timestamp, body=BODY)
    assert not events.webhook_verify(
        secret="secret", timestamp=timestamp, signature=signature, body=BODY
    )
    now = str(int(time.time()))
    good = events.webhook_signature(secret="secret", timestamp=now, body=BODY)
    assert events.webhook_verify(secret="secret", timestamp=now, signature=good, body=BODY)


@pytest.mark.parametrize("timestamp", NON_FINITE)
@override_settings(STRIPE_WEBHOOK_SECRET="whsec_test")
def test_stripe_refuses_non_finite_timestamp(timestamp):
    """The Stripe library reads t= with int(): pinned here so an upgrade cannot loosen it."""
    signed = stripe.WebhookSignature._compute_signature(
        f"{timestamp}.{BODY.decode()}", "whsec_test"
    )
    with pytest.raises(stripe.SignatureVerificationError):
        processor.event_from_webhook(payload=BODY, signature=f"t={timestamp},v1={signed}")
