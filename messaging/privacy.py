"""Messaging's part of data rights and retention, registered from MessagingConfig.ready().

- erasure of a contact (consent.erasure): their messages keep their status and times for
  the business's records, but lose the body and the phone number;
- the contact's data export (consent.erasure exporter) and the business export
  (accounts.privacy.exports): every message;
- retention (accounts.privacy.retention): bodies of finished messages are anonymised after
  RETENTION_MESSAGE_BODY_DAYS;
- outbound webhook deliveries (their payloads carry numbers and inbound text): a contact's
  erasure blanks them, the contact's export lists them, final ones are deleted after
  RETENTION_WEBHOOK_DELIVERY_DAYS; a closed business's messages are anonymised and its
  deliveries deleted after its legal period;
- the register of personal data (accounts.privacy.inventory): messaging's fields.

Inbound provider webhooks keep nothing of their own: a text becomes a Message (above) and a
delivery receipt a StatusCallback (ids and a status, no number or text).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from accounts.events.models import WebhookDelivery
from accounts.models import Business
from accounts.privacy import exports, inventory, retention
from consent import erasure

from .models import Message

BODIES_RULE = "message bodies anonymised"
DELIVERIES_RULE = "webhook deliveries deleted after RETENTION_WEBHOOK_DELIVERY_DAYS"
CLOSED_RULE = "a closed business's messages and webhook deliveries purged after its legal period"
ERASED_PAYLOAD_NOTE = "erased with the contact"

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


def _contact_deliveries(*, business, contact):
    uuids = [
        str(u)
        for u in Message.objects.filter(business=business, contact=contact).values_list(
            "uuid", flat=True
        )
    ]
    return WebhookDelivery.objects.filter(business=business).filter(
        Q(payload__message__in=uuids) | Q(payload__contact=str(contact.uuid))
    )


def erase_contact_webhook_deliveries(*, business, contact) -> dict:
    """Payloads of the contact's events keep only the message id and say why."""
    count = 0
    for delivery in _contact_deliveries(business=business, contact=contact):
        delivery.payload = {
            "message": delivery.payload.get("message"),
            "erased": ERASED_PAYLOAD_NOTE,
        }
        delivery.save(update_fields=["payload"])
        count += 1
    return {"webhook_payloads_erased": count}


def export_contact_webhook_deliveries(*, business, contact) -> list[dict]:
    return [
        {
            "event_id": str(d.uuid),
            "event": d.event,
            "endpoint": d.endpoint.url,
            "status": d.status,
            "created_at": d.created_at.isoformat(),
            "payload": d.payload,
        }
        for d in _contact_deliveries(business=business, contact=contact)
        .select_related("endpoint")
        .order_by("created_at", "id")
    ]


def purge_webhook_deliveries(*, now, dry_run: bool) -> dict:
    """Deliveries that reached a final state before the period are deleted."""
    cutoff = now - timedelta(days=settings.RETENTION_WEBHOOK_DELIVERY_DAYS)
    final = (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED)
    old = WebhookDelivery.objects.filter(status__in=final, created_at__lt=cutoff)
    if dry_run:
        return {"webhook_deliveries": old.count()}
    return {"webhook_deliveries": old.delete()[0]}


def purge_closed_businesses(*, now, dry_run: bool) -> dict:
    """Messages of a business closed longer than its legal period lose body and number
    (those to erased contacts already did), and its webhook deliveries go."""
    days = max(settings.RETENTION_CLOSED_BUSINESS_DAYS, round(retention.consent_years() * 365.2425))
    due = Business.objects.filter(
        vetting_status=Business.Vetting.TERMINATED,
        vetting_changed_at__lt=now - timedelta(days=days),
    )
    messages = Message.objects.filter(business__in=due).exclude(body=ERASED_BODY, to_phone="")
    deliveries = WebhookDelivery.objects.filter(business__in=due)
    if dry_run:
        return {"messages": messages.count(), "webhook_deliveries": deliveries.count()}
    return {
        "messages": messages.update(body=ERASED_BODY, to_phone=""),
        "webhook_deliveries": deliveries.delete()[0],
    }


def register() -> None:
    erasure.register(erase_contact_messages)
    erasure.register(erase_contact_webhook_deliveries)
    erasure.register_exporter("messages", export_contact_messages)
    erasure.register_exporter("webhook_deliveries", export_contact_webhook_deliveries)
    exports.register("messages", export_business_messages)
    retention.register(BODIES_RULE, purge_message_bodies)
    retention.register(DELIVERIES_RULE, purge_webhook_deliveries)
    retention.register(CLOSED_RULE, purge_closed_businesses)

    export = "the contact's data export (consent.subject.export_bundle)"
    inventory.declare(
        "messaging.Message",
        ["body"],
        erasure="body and number blanked by the contact's erasure (erase_contact_messages)",
        export=export + ", messages; the business export, messages",
        retention=BODIES_RULE,
    )
    inventory.declare(
        "messaging.Message",
        ["to_phone"],
        erasure="blanked by the contact's erasure",
        export=export + ", messages",
        retention=CLOSED_RULE,
    )
    inventory.declare(
        "events.WebhookDelivery",
        ["payload"],
        erasure="payload blanked by the contact's erasure (erase_contact_webhook_deliveries)",
        export=export + ", webhook_deliveries",
        retention=DELIVERIES_RULE,
    )
    inventory.not_personal(
        "messaging.Message",
        ["reasons", "error_message"],
        reason="gate decisions and the carrier's error: codes and rule texts",
    )
    inventory.not_personal(
        "messaging.Broadcast",
        ["name", "body", "tags", "contact_uuids"],
        reason="the business's own text and label; contacts by uuid (an erased one is "
        "an anonymous row)",
    )
    inventory.not_personal(
        "events.WebhookEndpoint",
        ["url", "events", "description"],
        reason="the business's receiving endpoint",
    )
    inventory.not_personal(
        "messaging.QuickReply", ["title", "body"], reason="the business's canned replies"
    )
