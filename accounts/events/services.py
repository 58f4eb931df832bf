"""Events to tenants: the outbox, endpoints, signing and delivery with retries.

Every app calls ``event_emit(business=…, type=…, data=…)`` (or ``event_emit_many``) inside
the transaction that made the change: it writes one ``WebhookDelivery`` row per active
endpoint subscribed to the type (no SQL when there is none: ``subscriptions``), and the rows are
handed to Celery only after commit, so an event exists exactly when its change does.

Each delivery is a POST of JSON

    {"id": "<event uuid>", "type": "message.delivered", "created": "<ISO time>",
     "data": {...}}                    (plus "test": true for a test event)

with the headers

    Webhook-Id:        the event uuid (the same on every retry and resend: deduplicate on it)
    Webhook-Event:     the event type
    Webhook-Timestamp: Unix seconds of this attempt
    Webhook-Signature: v1=<hex HMAC-SHA256 of "<Webhook-Timestamp>.<raw body>" with the
                       endpoint's secret>

A receiver recomputes the HMAC over the raw body and rejects timestamps older than a few
minutes (replays). Non-2xx answers and network errors are retried with exponential backoff
(WEBHOOK_RETRY_BASE * 2^(attempt-1) seconds, capped at WEBHOOK_RETRY_CAP) up to
WEBHOOK_MAX_ATTEMPTS; then the delivery is FAILED and stays in the log, where it can be
resent.
"""

import hashlib
import hmac
import json
import logging
import math
import secrets
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business
from accounts.outbound import private_address_message, public_address
from accounts.services import audit_record

from . import catalog, retrying
from .models import WebhookDelivery, WebhookEndpoint
from .retrying import max_attempts, retry_delay  # noqa: F401 - re-exported
from .subscriptions import subscribed_endpoints, subscriptions_changed

log = logging.getLogger(__name__)

HEADER_ID = "Webhook-Id"
HEADER_EVENT = "Webhook-Event"
HEADER_TIMESTAMP = "Webhook-Timestamp"
HEADER_SIGNATURE = "Webhook-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret

Event = tuple[int, str, dict[str, Any]]  # (business_id, type, data)


def _setting(name: str, default):
    return getattr(settings, name, default)


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
    if not math.isfinite(age) or age > tolerance:  # "nan" is never "too old"
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
    return not all(public_address(str(info[4][0])) for info in infos)


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
            return private_address_message(parts.hostname)
    return None


def _clean_events(events) -> list[str]:
    events = list(dict.fromkeys(events or []))
    allowed = [t.name for t in catalog.subscribable()]
    if not events:
        raise ValidationFailed(fields={"events": [f"Choose one or more of: {', '.join(allowed)}."]})
    unknown = {
        f"events.{i}": [f"Unknown event type {e!r}."]
        for i, e in enumerate(events)
        if e not in allowed
    }
    if unknown:
        raise ValidationFailed(fields=unknown)
    return events


def _subscriptions_sync(business: Business) -> None:
    """Keep ``Business.webhook_events`` (what its active endpoints want) after a change, in
    the row and in the object the caller holds, and tell every process's emits
    (``subscriptions``). The business row is locked before the endpoints are read: of two
    changes at once, the second reads after the first commits, so neither loses the
    other's types."""
    with transaction.atomic():
        Business.objects.select_for_update().filter(pk=business.pk).values_list("pk").first()
        wanted: set[str] = set()
        for events in WebhookEndpoint.objects.filter(
            business_id=business.pk, is_active=True
        ).values_list("events", flat=True):
            wanted.update(events)
        business.webhook_events = sorted(wanted)
        Business.objects.filter(pk=business.pk).update(webhook_events=business.webhook_events)
        subscriptions_changed(business_id=business.pk)


def events_wanted(*, business: Business, types) -> bool:
    """Whether an active endpoint of ``business`` wants any of ``types``, from the business
    row the caller already holds (no query): callers on hot paths ask before shaping an
    event or opening a transaction for it."""
    return not set(business.webhook_events).isdisjoint(types)


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
    _subscriptions_sync(business)
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
        _subscriptions_sync(endpoint.business)
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
    business = endpoint.business
    endpoint.delete()
    _subscriptions_sync(business)


# --- emitting (the outbox) -----------------------------------------------------------------------


def _queue(delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver_task  # not at the top: the task calls webhook_deliver

    if not delivery_ids:
        return

    def send():
        for pk in delivery_ids:
            webhook_deliver_task.apply_async((pk,))

    # robust: a broker that cannot be reached must not undo the change that made the event;
    # the rows are due, and the beat task re-queues overdue deliveries
    transaction.on_commit(send, robust=True)


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_emit(*, business: Business, type: str, data: dict) -> list[WebhookDelivery]:
    """Queue one event for every active endpoint of ``business`` subscribed to ``type``.
    Call it inside the transaction that made the change. Cheap when no endpoint wants it
    (no SQL: ``subscriptions``). Never raises for a receiver's problems: those are retried
    and logged per delivery."""
    return event_emit_many(events=[(business.pk, type, data)])


Listener = Callable[[list[Event]], None]
_listeners: list[Listener] = []


def event_listener_register(listener: Listener) -> None:
    """Other deliveries that follow these events register here from their own
    ``AppConfig.ready()`` (the Twilio-compatible API's status callbacks and inbound
    forwards): each is called with every batch ``event_emit_many`` gets, in its
    transaction, and picks the types it wants."""
    if listener not in _listeners:
        _listeners.append(listener)


def event_emit_many(*, events: list[Event]) -> list[WebhookDelivery]:
    """Queue a batch of (business_id, type, data): one query, one INSERT; none of either
    when no endpoint wants any of them."""
    if not events:
        return []
    unknown = {t for _, t, _ in events if catalog.get(t) is None}
    if unknown:
        raise ValueError(f"unknown event types: {sorted(unknown)}")
    for listener in _listeners:
        listener(events)
    # most events have no endpoint that wants them: known without SQL (``subscriptions``)
    types: dict[int, set[str]] = {}
    for business_id, type_, _ in events:
        types.setdefault(business_id, set()).add(type_)
    by_business = subscribed_endpoints(types)
    if not by_business:
        return []
    now = timezone.now()
    rows = []
    for business_id, type_, data in events:
        endpoints = [e for e in by_business.get(business_id, []) if type_ in e.events]
        if not endpoints:
            continue
        event_id, payload = uuid.uuid4(), _jsonable(data)
        rows += [
            WebhookDelivery(
                business_id=business_id,
                endpoint=endpoint,
                event_id=event_id,
                event=type_,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ]
    created = WebhookDelivery.objects.bulk_create(rows)
    _queue([d.pk for d in created])
    return created


def webhook_send_test(
    *, endpoint: WebhookEndpoint, event_type: str = "", actor=None
) -> WebhookDelivery:
    """A sample event to check the receiver: ``event_type``'s documented example (the test
    event by default), marked ``"test": true`` in the envelope."""
    kind = catalog.get(event_type or catalog.TEST_EVENT.name)
    if kind is None:
        raise ValidationFailed(fields={"event": ["Unknown event type."]})
    delivery = WebhookDelivery.objects.create(
        business=endpoint.business,
        endpoint=endpoint,
        event=kind.name,
        payload=kind.example,
        test=True,
        next_attempt_at=timezone.now(),
    )
    audit_record(
        action="webhook.test",
        obj=endpoint,
        actor=actor,
        business=endpoint.business,
        detail={"event": kind.name},
    )
    _queue([delivery.pk])
    return delivery


def webhook_delivery_resend(*, delivery: WebhookDelivery, actor=None) -> WebhookDelivery:
    """Send a delivered or failed event again: a new delivery with the same event id (a
    receiver that deduplicates sees the same event), its own attempts in the log."""
    if delivery.status not in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
        raise Conflict(
            "This delivery is still being attempted; wait for it to finish.",
            detail={"status": delivery.status},
        )
    again = WebhookDelivery.objects.create(
        business_id=delivery.business_id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event=delivery.event,
        payload=delivery.payload,
        test=delivery.test,
        resent_from=delivery,
        next_attempt_at=timezone.now(),
    )
    audit_record(
        action="webhook.resend",
        obj=delivery.endpoint,
        actor=actor,
        business=delivery.endpoint.business,
        detail={"event": delivery.event, "event_id": str(delivery.event_id)},
    )
    _queue([again.pk])
    return again


def business_vetting_event(*, business: Business, from_status: str, to_status: str, reason: str):
    """accounts.hooks.vetting_changed: a suspension is an event."""
    if to_status == Business.Vetting.SUSPENDED:
        event_emit(
            business=business,
            type="business.suspended",
            data={
                "business": business.uuid,
                "name": business.display_name,
                "reason": reason,
                "from_status": from_status,
                "at": business.vetting_changed_at,
            },
        )


# --- delivering -----------------------------------------------------------------------------------


def webhook_body(delivery: WebhookDelivery) -> bytes:
    envelope: dict[str, Any] = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    if delivery.test:
        envelope["test"] = True
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def _webhook_request(delivery: WebhookDelivery) -> retrying.Request | retrying.Refusal:
    """The signed POST of one attempt (our scheme), or why it is not sent."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        return retrying.Refusal("Endpoint disabled.", final=True)
    problem = None if _private_allowed() else webhook_url_check(endpoint.url)
    if problem:
        return retrying.Refusal(problem)
    body = webhook_body(delivery)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ContactYourClient-Webhooks/1",
        HEADER_ID: str(delivery.event_id),
        HEADER_EVENT: delivery.event,
        HEADER_TIMESTAMP: timestamp,
        HEADER_SIGNATURE: webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    return retrying.Request(endpoint.url, headers, body)


def webhook_deliver(*, delivery_id: int) -> WebhookDelivery | None:
    """One attempt. Returns the delivery; schedules the next attempt when it failed."""
    from .tasks import webhook_deliver_task  # not at the top: the task calls this

    return retrying.attempt(
        rows=WebhookDelivery.objects.select_related("endpoint"),
        pk=delivery_id,
        task=webhook_deliver_task,
        prepare=_webhook_request,
    )


def webhook_retry_due(*, limit: int = 500) -> int:
    """Re-queue deliveries whose attempt is overdue (their task was lost); for beat."""
    from .tasks import webhook_deliver_task  # not at the top: the task calls this

    return retrying.retry_due(
        rows=WebhookDelivery.objects.all(), task=webhook_deliver_task, limit=limit
    )
