"""The payment processor (Stripe), through the official ``stripe`` library only.

``client()`` builds a ``StripeClient`` from settings: ``STRIPE_SECRET_KEY`` and, when set,
``STRIPE_API_BASE`` (the simulated processor of ``make run`` and the tests,
devtools/processor.py; empty in production: Stripe itself). Webhooks are verified with the
library's own signature check (``event_from_webhook``). Card numbers never reach us: cards
are entered on the processor's hosted Checkout page; we keep its customer, payment method,
payment intent and refund ids.
"""

import stripe
from django.conf import settings

from .errors import ProcessorError

__all__ = ["CardError", "client", "event_from_webhook", "stripe"]

CardError = stripe.CardError


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    if not settings.STRIPE_SECRET_KEY:
        raise ProcessorError("Billing is not configured: STRIPE_SECRET_KEY is not set.")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=2,  # the library resends with the same idempotency key
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
    )


def event_from_webhook(*, payload: bytes, signature: str) -> stripe.Event:
    """The event, if ``signature`` (the Stripe-Signature header) is valid for ``payload``
    under ``STRIPE_WEBHOOK_SECRET``; raises ``stripe.SignatureVerificationError`` or
    ``ValueError`` otherwise."""
    return stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
    )
