"""Reads of endpoints and their delivery log; every one takes the business (a missing or
someone else's id is the same ``NotFound``)."""

from uuid import UUID

from accounts.errors import NotFound
from accounts.models import Business

from .models import WebhookDelivery, WebhookEndpoint
from .subscriptions import subscriptions_get


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
    that costs a query to build); no SQL in the common case (``subscriptions``)."""
    return type in subscriptions_get([business_id])[business_id]


def events_subscribed(*, business_id: int, types) -> set[str]:
    """Which of ``types`` an active endpoint of the business wants."""
    return set(types) & subscriptions_get([business_id])[business_id]
