"""Messaging's part of data rights and retention, registered from MessagingConfig.ready().

- erasure of a contact (consent.erasure): their messages keep their status and times for
  the business's records, but lose the body and the phone number;
- the contact's data export (consent.erasure exporter) and the business export
  (accounts.privacy.exports): every message;
- retention (accounts.privacy.retention): bodies of finished messages are anonymised after
  RETENTION_MESSAGE_BODY_DAYS.
"""

from datetime import timedelta

from django.conf import settings

from .models import Message

ERASED_BODY = ""
EXPORT_FIELDS = (
    "uuid", "direction", "kind", "purpose", "status", "to_phone", "body", "segments",
    "error_code", "created_at", "sent_at", "delivered_at",
)  # fmt: skip


def _rows(queryset) -> list[dict]:
    return [
        {k: (str(v) if k == "uuid" or hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in queryset.order_by("created_at", "id").values(*EXPORT_FIELDS)
    ]


def erase_contact_messages(*, business, contact) -> dict:
    count = Message.objects.filter(business=business, contact=contact).update(
        body=ERASED_BODY, to_phone=""
    )
    return {"messages_anonymised": count}


def export_contact_messages(*, business, contact) -> list[dict]:
    return _rows(Message.objects.filter(business=business, contact=contact))


def export_business_messages(business) -> list[dict]:
    return _rows(Message.objects.filter(business=business))


def purge_message_bodies(*, now, dry_run: bool) -> dict:
    """Bodies of messages in a final state older than the retention period become empty."""
    cutoff = now - timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS)
    done = (*Message.FINAL, Message.Status.SENT, Message.Status.RECEIVED)
    old = Message.objects.filter(created_at__lt=cutoff, status__in=done).exclude(body=ERASED_BODY)
    if dry_run:
        return {"message_bodies": old.count()}
    return {"message_bodies": old.update(body=ERASED_BODY)}


def register() -> None:
    from accounts.privacy import exports, retention
    from consent import erasure

    erasure.register(erase_contact_messages)
    erasure.register_exporter("messages", export_contact_messages)
    exports.register("messages", export_business_messages)
    retention.register("message bodies anonymised", purge_message_bodies)
