"""Outbound webhooks to tenants (from us, to the business's URLs; the webhooks providers
call in are messaging.provider_webhooks): signed events about their messages, delivered by Celery
with retries, every attempt in a delivery log.

Events: "message.status" (an outbound message changed status) and "message.inbound" (a
text arrived). Each delivery is a POST of JSON

    {"id": "<event uuid>", "type": "message.status", "created": "<ISO time>",
     "data": {...}}

with the headers

    Webhook-Id:        the event uuid (the same on every retry: deduplicate on it)
    Webhook-Event:     the event type
    Webhook-Timestamp: Unix seconds of this attempt
    Webhook-Signature: v1=<hex HMAC-SHA256 of "<Webhook-Timestamp>.<raw body>" with the
                       endpoint's secret>

A receiver recomputes the HMAC over the raw body and rejects timestamps older than a few
minutes (replays). Non-2xx answers and network errors are retried with exponential backoff
(WEBHOOK_RETRY_BASE * 2^(attempt-1) seconds, capped at WEBHOOK_RETRY_CAP) up to
WEBHOOK_MAX_ATTEMPTS; then the delivery is FAILED and stays in the log.

The send path calls ``webhook_emit`` (one event) or ``webhook_emit_many`` (a batch of
status changes: one query for all the businesses' endpoints, one INSERT).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.models import Business
from accounts.services import audit_record

from .errors import NotFound, ValidationFailed
from .models import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

HEADER_ID = "Webhook-Id"
HEADER_EVENT = "Webhook-Event"
HEADER_TIMESTAMP = "Webhook-Timestamp"
HEADER_SIGNATURE = "Webhook-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("WEBHOOK_MAX_ATTEMPTS", 8))


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1`` (attempt counts from 1)."""
    base = float(_setting("WEBHOOK_RETRY_BASE", 30.0))
    cap = float(_setting("WEBHOOK_RETRY_CAP", 3600.0))
    return min(cap, base * 2 ** (attempt - 1))


# --- signing --------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"v1={digest.hexdigest()}"


def webhook_verify(
    *, secret: str, timestamp: str, signature: str, body: bytes, tolerance: float = 300.0
) -> bool:
    """What a receiver does (and what the tests do): recompute and compare in constant time."""
    try:
        age = abs(time.time() - float(timestamp))
    except (TypeError, ValueError):
        return False
    if age > tolerance:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, signature or "")


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- endpoints --------------------------------------------------------------------------------


def _private_allowed() -> bool:
    # Tenants choose these URLs: in production a webhook must not reach our own network.
    return bool(_setting("WEBHOOK_ALLOW_PRIVATE_TARGETS", settings.DEBUG))


def _host_is_private(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # unresolvable now: the delivery will fail and retry
    for info in infos:
        addr = ipaddress.ip_address(info[4][0])
        if not addr.is_global:
            return True
    return False


def webhook_url_check(url: str) -> str | None:
    """None if the URL may receive webhooks, else why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Use an http or https URL."
    if parts.username or parts.password:
        return "Leave user names and passwords out of the URL; verify our signature instead."
    if not _private_allowed():
        if parts.scheme != "https":
            return "Use https."
        if _host_is_private(parts.hostname):
            return "This URL points at a private network address."
    return None


def _clean_events(events) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown or not events:
        raise ValidationFailed(
            fields={"events": [f"Choose one or more of: {', '.join(WEBHOOK_EVENTS)}."]}
        )
    return events


def webhook_endpoint_create(
    *, business: Business, url: str, events: list[str], description: str = "", actor=None
) -> WebhookEndpoint:
    problem = webhook_url_check(url or "")
    if problem:
        raise ValidationFailed(fields={"url": [problem]})
    endpoint = WebhookEndpoint.objects.create(
        business=business,
        url=url,
        events=_clean_events(events),
        description=(description or "")[:200],
        secret=new_secret(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        action="webhook.create",
        obj=endpoint,
        actor=actor,
        business=business,
        detail={"url": url, "events": endpoint.events},
    )
    return endpoint


def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, is_active: bool | None = None, events=None, actor=None
) -> WebhookEndpoint:
    fields = []
    if is_active is not None:
        endpoint.is_active = is_active
        fields.append("is_active")
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if fields:
        endpoint.save(update_fields=fields)
        audit_record(
            action="webhook.update",
            obj=endpoint,
            actor=actor,
            business=endpoint.business,
            detail={"is_active": endpoint.is_active, "events": endpoint.events},
        )
    return endpoint


def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor=None) -> WebhookEndpoint:
    endpoint.secret = new_secret()
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(update_fields=["secret", "secret_rotated_at"])
    audit_record(
        action="webhook.rotate_secret", obj=endpoint, actor=actor, business=endpoint.business
    )
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor=None) -> None:
    audit_record(
        action="webhook.delete",
        obj=endpoint,
        actor=actor,
        business=endpoint.business,
        detail={"url": endpoint.url},
    )
    endpoint.delete()


def webhook_endpoint_get(*, business: Business, endpoint_uuid) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(business=business, uuid=endpoint_uuid).first()
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def webhook_endpoint_list(*, business: Business):
    return WebhookEndpoint.objects.filter(business=business).order_by("-created_at", "-id")


def webhook_delivery_list(*, business: Business, endpoint: WebhookEndpoint):
    return WebhookDelivery.objects.filter(business=business, endpoint=endpoint).order_by(
        "-created_at", "-id"
    )


# --- emitting -----------------------------------------------------------------------------------


def _queue(delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver_task  # not at the top: the task calls webhook_deliver

    if not delivery_ids:
        return

    def send():
        for pk in delivery_ids:
            webhook_deliver_task.apply_async((pk,))

    transaction.on_commit(send)


def webhook_emit(*, business: Business, event: str, payload: dict) -> list[WebhookDelivery]:
    """Queue ``event`` for every active endpoint of ``business`` subscribed to it.
    Cheap when the business has no endpoint (one indexed query). Never raises for a
    receiver's problems: those are retried and logged per delivery."""
    return webhook_emit_many(events=[(business.pk, event, payload)])


Listener = Callable[[list[tuple[int, str, dict]]], None]
_listeners: list[Listener] = []


def webhook_listener_register(listener: Listener) -> None:
    """Other deliveries that follow these events register here from their own
    ``AppConfig.ready()`` (the Twilio-compatible API's status callbacks and inbound
    forwards): each is called with every batch ``webhook_emit_many`` gets, in its
    transaction."""
    if listener not in _listeners:
        _listeners.append(listener)


def webhook_emit_many(*, events: list[tuple[int, str, dict]]) -> list[WebhookDelivery]:
    """Queue a batch of (business_id, event, payload): one query, one INSERT."""
    if not events:
        return []
    unknown = {e for _, e, _ in events if e not in WEBHOOK_EVENTS}
    if unknown:
        raise ValueError(f"unknown webhook events: {sorted(unknown)}")
    for listener in _listeners:
        listener(events)
    by_business: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        business_id__in={b for b, _, _ in events}, is_active=True
    ):
        by_business.setdefault(endpoint.business_id, []).append(endpoint)
    if not by_business:
        return []
    now = timezone.now()
    rows = [
        WebhookDelivery(
            business_id=business_id,
            endpoint=endpoint,
            event=event,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            created_at=now,
            next_attempt_at=now,
        )
        for business_id, event, payload in events
        for endpoint in by_business.get(business_id, [])
        if event in endpoint.events
    ]
    created = WebhookDelivery.objects.bulk_create(rows)
    _queue([d.pk for d in created])
    return created


def message_status_event(message) -> tuple[int, str, dict]:
    """The "message.status" event of an outbound message, for webhook_emit_many."""
    return (
        message.business_id,
        "message.status",
        {
            "message": str(message.uuid),
            "status": message.status,
            "error_code": message.error_code,
            "to": message.to_phone,
            "reasons": message.reasons,
            "status_changed_at": message.status_changed_at,
        },
    )


def message_inbound_event(message, *, keyword: str = "", media=()) -> tuple[int, str, dict]:
    """The "message.inbound" event of a received text, for webhook_emit_many. ``media``: the
    client's pictures as stored (GET /api/v1/media/<uuid>/ gives a download URL)."""
    payload = {
        "message": str(message.uuid),
        "from": message.to_phone,  # the other party (see Message's docstring)
        "to": getattr(message.from_number, "e164", ""),
        "body": message.body,
        "contact": str(message.contact.uuid) if message.contact_id else None,
        "keyword": keyword,
        "received_at": message.created_at,
    }
    if media:
        payload["media"] = [
            {"uuid": str(m.uuid), "content_type": m.content_type, "size": m.size,
             "sha256": m.sha256}
            for m in media
        ]  # fmt: skip
    return (message.business_id, "message.inbound", payload)


def webhook_send_test(*, endpoint: WebhookEndpoint, actor=None) -> WebhookDelivery:
    """A sample event to check the receiver (marked ``"test": true``)."""
    delivery = WebhookDelivery.objects.create(
        business=endpoint.business,
        endpoint=endpoint,
        event=endpoint.events[0] if endpoint.events else WEBHOOK_EVENTS[0],
        payload={"test": True, "message": "A test event from Contact Your Client."},
        next_attempt_at=timezone.now(),
    )
    _queue([delivery.pk])
    return delivery


# --- delivering -----------------------------------------------------------------------------------


def webhook_body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.uuid),
        "type": delivery.event,
        "created": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt. Returns the delivery; schedules the next attempt when it failed."""
    from .tasks import webhook_deliver_task  # not at the top: the task calls this

    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            )
            .first()
        )
        if delivery is None:  # done already, or another worker holds it
            return None
        endpoint = delivery.endpoint
        body = webhook_body(delivery)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ContactYourClient-Webhooks/1",
            HEADER_ID: str(delivery.uuid),
            HEADER_EVENT: delivery.event,
            HEADER_TIMESTAMP: timestamp,
            HEADER_SIGNATURE: webhook_signature(
                secret=endpoint.secret, timestamp=timestamp, body=body
            ),
        }
        delivery.attempts += 1
        error, code = "", None
        problem = None if _private_allowed() else webhook_url_check(endpoint.url)
        if not endpoint.is_active:
            error = "Endpoint disabled."
        elif problem:
            error = problem
        else:
            try:
                response = requests.post(
                    endpoint.url,
                    data=body,
                    headers=headers,
                    timeout=float(_setting("WEBHOOK_TIMEOUT", 10.0)),
                    allow_redirects=False,
                )
                code = response.status_code
                if not 200 <= code < 300:
                    error = f"HTTP {code}"
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"[:300]
        now = timezone.now()
        delivery.response_status = code
        delivery.last_error = error
        retry_in = None
        if not error:
            delivery.status = WebhookDelivery.Status.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
        elif delivery.attempts >= max_attempts() or not endpoint.is_active:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            retry_in = retry_delay(delivery.attempts)
            delivery.status = WebhookDelivery.Status.RETRYING
            delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "response_status",
                "last_error",
                "delivered_at",
                "next_attempt_at",
            ]
        )
        if retry_in is not None:
            pk = delivery.pk
            transaction.on_commit(
                lambda: webhook_deliver_task.apply_async((pk,), countdown=retry_in)
            )
    return delivery


def webhook_retry_due(*, limit: int = 500) -> int:
    """Re-queue deliveries whose attempt is overdue (their task was lost); for beat."""
    from .tasks import webhook_deliver_task  # not at the top: the task calls this

    grace = timezone.now() - timedelta(seconds=60)
    ids = list(
        WebhookDelivery.objects.filter(
            status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING],
            next_attempt_at__lt=grace,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        webhook_deliver_task.apply_async((pk,))
    return len(ids)
