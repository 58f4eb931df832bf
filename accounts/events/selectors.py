"""Reads of endpoints and their delivery log; every one takes the business (a missing or
someone else's id is the same ``NotFound``)."""

from uuid import UUID

from django.db.models import Q

from accounts.errors import NotFound
from accounts.models import Business

from .models import WebhookDelivery, WebhookEndpoint


def _uuid(value, what: str) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} not found.") from None  # not an id: no such row


def webhook_endpoint_get(*, business: Business, endpoint_uuid) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(
        business=business, uuid=_uuid(endpoint_uuid, "Webhook endpoint")
    ).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def webhook_endpoint_list(*, business: Business):
    return WebhookEndpoint.objects.filter(business=business).order_by("-created_at", "-id")


def webhook_delivery_list(*, business: Business, endpoint: WebhookEndpoint):
    return WebhookDelivery.objects.filter(business=business, endpoint=endpoint).order_by(
        "-created_at", "-id"
    )


def webhook_delivery_get(
    *, business: Business, endpoint: WebhookEndpoint, delivery_uuid
) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.filter(
        business=business, endpoint=endpoint, uuid=_uuid(delivery_uuid, "Delivery")
    ).first()
    if delivery is None:
        raise NotFound("Delivery not found.")
    return delivery


def event_subscribed(*, business_id: int, type: str) -> bool:
    """Whether an active endpoint of the business wants ``type`` (before shaping an event
    that costs a query to build)."""
    return WebhookEndpoint.objects.filter(
        business_id=business_id, is_active=True, events__contains=[type]
    ).exists()


def events_subscribed(*, business_id: int, types) -> set[str]:
    """Which of ``types`` an active endpoint of the business wants (one query)."""
    wanted: set[str] = set()
    any_of = Q()
    for t in types:
        any_of |= Q(events__contains=[t])
    for events in WebhookEndpoint.objects.filter(
        any_of, business_id=business_id, is_active=True
    ).values_list("events", flat=True):
        wanted.update(e for e in events if e in types)
    return wanted
