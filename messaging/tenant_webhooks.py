"""Messaging's events for tenants: the message and broadcast event types (registered in the
catalog of ``accounts.events`` from MessagingConfig.ready()) and the functions that shape
them. Emitting, signing and delivering live in ``accounts.events.services`` (every app
emits; this app only says what its events look like); the names below are re-exported so
callers of the old module keep working.
"""

from typing import Any

from accounts.events.catalog import (
    INT,
    STRING,
    TIME,
    UUID,
    EventType,
    enum,
    nullable,
    obj,
)
from accounts.events.selectors import (  # noqa: F401 - re-exported
    webhook_delivery_get,
    webhook_delivery_list,
    webhook_endpoint_get,
    webhook_endpoint_list,
)
from accounts.events.services import (  # noqa: F401 - re-exported
    HEADER_EVENT,
    HEADER_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    Event,
    event_emit,
    event_emit_many,
    event_listener_register,
    max_attempts,
    new_secret,
    retry_delay,
    webhook_body,
    webhook_deliver,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
    webhook_retry_due,
    webhook_send_test,
    webhook_signature,
    webhook_url_check,
    webhook_verify,
)

from .models import Broadcast, Message

S = Message.Status

# --- the event types --------------------------------------------------------------------------

_REASON = {
    "type": "object",
    "description": "One gate's finding: which gate, a code, words for people, details.",
    "properties": {"gate": STRING, "code": STRING, "message": STRING, "detail": {}},
}
_MESSAGE = {
    "message": UUID,
    "status": enum(*S.values),
    "kind": STRING,
    "to": STRING,
    "error_code": STRING,
    "reasons": {"type": "array", "items": _REASON},
    "status_changed_at": TIME,
}
_MESSAGE_EXAMPLE = {
    "message": "0b5e8a8e-3c1f-4b8a-9a52-1b7f0c2d9e11",
    "status": "DELIVERED",
    "kind": "informational",
    "to": "+12025550143",
    "error_code": "",
    "reasons": [],
    "status_changed_at": "2026-12-04T18:00:02.512000+00:00",
}

# status → the specific event; UNDELIVERED is a failure the carrier reported
STATUS_EVENTS = {
    S.QUEUED: "message.queued",
    S.SCHEDULED: "message.queued",
    S.SENT: "message.sent",
    S.DELIVERED: "message.delivered",
    S.UNDELIVERED: "message.failed",
    S.FAILED: "message.failed",
    S.BLOCKED: "message.blocked",
    S.EXPIRED: "message.expired",
    S.CANCELED: "message.canceled",
}
_STATUS_SUMMARIES = {
    "message.queued": ("QUEUED", "A message passed every gate and waits in its number's queue "
                       "(SCHEDULED when it waits for a later time)."),
    "message.sent": ("SENT", "The carrier accepted a message."),
    "message.delivered": ("DELIVERED", "The carrier confirmed delivery to the handset."),
    "message.failed": ("FAILED", "A message could not be sent (FAILED) or the carrier could "
                       "not deliver it (UNDELIVERED); error_code says why."),
    "message.expired": ("EXPIRED", "A message waited past its validity period and was "
                        "dropped unsent."),
    "message.canceled": ("CANCELED", "A waiting message was canceled before it was sent."),
}  # fmt: skip

_INBOUND = obj(
    message=UUID,
    **{"from": STRING, "to": STRING},
    body=STRING,
    contact=nullable(UUID),
    keyword=STRING,
    received_at=TIME,
)
_INBOUND_MEDIA = {
    "type": "array",
    "items": obj(uuid=UUID, content_type=STRING, size=INT, sha256=STRING),
}

MESSAGE_EVENTS = (
    EventType(
        "message.status",
        "Any change of an outbound message's status (the events below, in one subscription).",
        obj(**_MESSAGE),
        _MESSAGE_EXAMPLE,
    ),
    *(
        EventType(name, summary, obj(**_MESSAGE), {**_MESSAGE_EXAMPLE, "status": status})
        for name, (status, summary) in _STATUS_SUMMARIES.items()
    ),
    EventType(
        "message.blocked",
        "A gate refused a message (at creation or at the re-check before dispatch): gate, "
        "code and reason name the first gate that failed.",
        obj(**_MESSAGE, gate=STRING, code=STRING, reason=STRING),
        {
            **_MESSAGE_EXAMPLE,
            "status": "BLOCKED",
            "reasons": [
                {
                    "gate": "consent",
                    "code": "opted_out",
                    "message": "The recipient opted out.",
                    "detail": {},
                }
            ],
            "gate": "consent",
            "code": "opted_out",
            "reason": "The recipient opted out.",
        },
    ),
    EventType(
        "message.inbound",
        "A text arrived on one of the business's numbers (keyword = the compliance keyword "
        "it matched, if any).",
        {  # "media" only when the text carried pictures or cards (MMS)
            **_INBOUND,
            "properties": {**_INBOUND["properties"], "media": _INBOUND_MEDIA},
        },
        {
            "message": "8d2c4f8e-1e0b-4b1e-8f53-5a1c2e7d9b20",
            "from": "+12025550143",
            "to": "+12025550100",
            "body": "Can I move my appointment to 3pm?",
            "contact": "3f0a7c1e-9b8d-4e2f-a1c3-5d6e7f809a1b",
            "keyword": "",
            "received_at": "2026-12-04T18:00:00+00:00",
        },
    ),
)

MESSAGE_EVENT_TYPES = tuple(t.name for t in MESSAGE_EVENTS)

_BROADCAST = {
    "broadcast": UUID,
    "name": STRING,
    "status": enum(*Broadcast.Status.values),
    "recipients": INT,
    "created": INT,
    "pending": INT,
    "sent": INT,
    "delivered": INT,
    "skipped": INT,
    "failed": INT,
    "percent": {"type": "number"},
}
_BROADCAST_EXAMPLE = {
    "broadcast": "5a9d3b2c-7e1f-4c8a-b0d2-3e4f5a6b7c8d",
    "name": "December offers",
    "status": "RUNNING",
    "recipients": 1200,
    "created": 500,
    "pending": 500,
    "sent": 0,
    "delivered": 0,
    "skipped": 0,
    "failed": 0,
    "percent": 0.0,
}
BROADCAST_EVENTS = (
    EventType(
        "broadcast.started",
        "A broadcast started: its fan-out to the audience begins.",
        obj(**_BROADCAST),
        {**_BROADCAST_EXAMPLE, "created": 0, "pending": 0},
    ),
    EventType(
        "broadcast.progress",
        "A batch of a broadcast's recipients (up to 500) got their messages.",
        obj(**_BROADCAST),
        _BROADCAST_EXAMPLE,
    ),
    EventType(
        "broadcast.finished",
        "A broadcast is over: COMPLETED (no message of it is on its way any more) or CANCELED.",
        obj(**_BROADCAST),
        {
            **_BROADCAST_EXAMPLE,
            "status": "COMPLETED",
            "created": 1200,
            "pending": 0,
            "sent": 1150,
            "delivered": 1100,
            "skipped": 40,
            "failed": 10,
            "percent": 100.0,
        },
    ),
)


def register() -> None:
    from accounts.events import catalog

    catalog.register(*MESSAGE_EVENTS, *BROADCAST_EVENTS)


# --- shaping events ----------------------------------------------------------------------------


def _message_data(message: Message) -> dict[str, Any]:
    return {
        "message": str(message.uuid),
        "status": message.status,
        "kind": message.kind,
        "to": message.to_phone,
        "error_code": message.error_code,
        "reasons": message.reasons,
        "status_changed_at": message.status_changed_at,
    }


def message_status_event(message: Message) -> Event:
    """The "message.status" event of an outbound message, for event_emit_many."""
    return (message.business_id, "message.status", _message_data(message))


def _deciding_reason(reasons: list[dict]) -> dict:
    """The gate that blocked: the re-check's when dispatch blocked it (appended last),
    else the first failed gate (a "kind" note is a reclassification, not a refusal)."""
    if reasons and reasons[-1].get("at") == "dispatch":
        return reasons[-1]
    return next((r for r in reasons if r.get("gate") != "kind"), {})


def message_events(messages) -> list[Event]:
    """Every event of outbound messages that just changed status: "message.status" and the
    specific one ("message.blocked" names the first failing gate)."""
    events: list[Event] = []
    for m in messages:
        data = _message_data(m)
        events.append((m.business_id, "message.status", data))
        specific = STATUS_EVENTS.get(m.status)
        if specific == "message.blocked":
            failed = _deciding_reason(m.reasons)
            data = {
                **data,
                "gate": failed.get("gate", ""),
                "code": failed.get("code", ""),
                "reason": failed.get("message", ""),
            }
        if specific:
            events.append((m.business_id, specific, data))
    return events


def message_inbound_event(message: Message, *, keyword: str = "", media=()) -> Event:
    """The "message.inbound" event of a received text, for event_emit_many. ``media``: the
    client's pictures as stored (GET /api/v1/media/<uuid>/ gives a download URL)."""
    data: dict[str, Any] = {
        "message": str(message.uuid),
        "from": message.to_phone,  # the other party (see Message's docstring)
        "to": getattr(message.from_number, "e164", ""),
        "body": message.body,
        "contact": str(message.contact.uuid) if message.contact is not None else None,
        "keyword": keyword,
        "received_at": message.created_at,
    }
    if media:
        data["media"] = [
            {"uuid": str(m.uuid), "content_type": m.content_type, "size": m.size,
             "sha256": m.sha256}
            for m in media
        ]  # fmt: skip
    return (message.business_id, "message.inbound", data)


def broadcast_event(broadcast: Broadcast, type_: str, progress: dict) -> Event:
    """A "broadcast.*" event; ``progress`` is ``selectors.broadcast_progress``'s answer."""
    return (
        broadcast.business_id,
        type_,
        {
            "broadcast": str(broadcast.uuid),
            "name": broadcast.name,
            "status": broadcast.status,
            **{k: progress[k] for k in _BROADCAST if k in progress and k != "status"},
        },
    )


# the old names of the emitting functions
webhook_emit_many = event_emit_many
webhook_listener_register = event_listener_register


def webhook_emit(*, business, event: str, payload: dict):
    return event_emit(business=business, type=event, data=payload)
