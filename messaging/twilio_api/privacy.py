"""Privacy registrations of the Twilio-compatible API. A callback copies nothing personal:
its request is built from the message when it is sent (an erased message's callback sends
the erased values), so only the business's own URLs and status words are stored here."""

from datetime import timedelta

from django.conf import settings

from accounts.privacy import inventory, retention

from .models import TwilioCallback

CALLBACKS_RULE = "Twilio-style callbacks deleted after RETENTION_WEBHOOK_DELIVERY_DAYS"


def purge_callbacks(*, now, dry_run: bool) -> dict:
    """Callbacks that reached a final state before the period are deleted."""
    cutoff = now - timedelta(days=settings.RETENTION_WEBHOOK_DELIVERY_DAYS)
    final = (TwilioCallback.Status.SUCCEEDED, TwilioCallback.Status.FAILED)
    old = TwilioCallback.objects.filter(status__in=final, created_at__lt=cutoff)
    if dry_run:
        return {"twilio_callbacks": old.count()}
    return {"twilio_callbacks": old.delete()[0]}


def register() -> None:
    retention.register(CALLBACKS_RULE, purge_callbacks)
    inventory.not_personal(
        "twilio_api.TwilioCallback",
        ["url", "message_status", "last_error"],
        reason="the business's receiving URL, a status word and an HTTP error",
    )
    inventory.not_personal(
        "twilio_api.TwilioMessage",
        ["status_callback"],
        reason="the business's receiving URL",
    )
    inventory.not_personal(
        "accounts.TwilioAccount",
        ["inbound_url"],
        reason="the business's receiving URL",
    )
