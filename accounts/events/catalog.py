"""The event types tenants can subscribe to: a registry low in the stack.

Each app declares its own types (name, summary, JSON schema of ``data``, an example) and
registers them from its ``AppConfig.ready()``; ``event_emit`` refuses a type that is not
registered; the OpenAPI document's ``webhooks`` section and the portal's subscription
choices are drawn from here.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EventType:
    name: str  # "<subject>.<what happened>"
    summary: str
    schema: dict[str, Any]  # JSON Schema (2020-12) of the envelope's "data"
    example: dict[str, Any]
    group: str = field(default="")  # the subject, for the portal's grouping

    @property
    def subject(self) -> str:
        return self.group or self.name.split(".", 1)[0]


_TYPES: dict[str, EventType] = {}


def register(*types: EventType) -> None:
    for t in types:
        known = _TYPES.get(t.name)
        if known is not None and known != t:
            raise ValueError(f"event type {t.name} registered twice, differently")
        _TYPES[t.name] = t


def get(name: str) -> EventType | None:
    return _TYPES.get(name)


def names() -> list[str]:
    return list(_TYPES)


def all_types() -> list[EventType]:
    return list(_TYPES.values())


def subscribable() -> list[EventType]:
    """What an endpoint may subscribe to (everything but the test event)."""
    return [t for t in _TYPES.values() if t.name != TEST_EVENT.name]


# --- helpers to write schemas tersely ------------------------------------------------------

STRING: dict[str, Any] = {"type": "string"}
UUID: dict[str, Any] = {"type": "string", "format": "uuid"}
TIME: dict[str, Any] = {"type": "string", "format": "date-time"}
INT: dict[str, Any] = {"type": "integer"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    out = {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        out["enum"] = [*schema["enum"], None]
    return out


def enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def obj(**properties: dict[str, Any]) -> dict[str, Any]:
    """An object whose listed properties are all present (more may come later)."""
    return {"type": "object", "properties": properties, "required": list(properties)}


# --- the business's own events (emitted by accounts and policies) -------------------------

_BUSINESS = {
    "business": UUID,
    "name": STRING,
    "reason": STRING,
    "at": TIME,
}

BUSINESS_EVENTS = (
    EventType(
        "business.held",
        "Our compliance team holds the business's new messages for review (policy strikes "
        "or a screening); they wait as HELD until released.",
        obj(**_BUSINESS),
        {
            "business": "6f1c1a59-52b6-4a4a-9d43-8d8f1f0f6a11",
            "name": "Bright Smiles Dental",
            "reason": "2 active policy strikes; new messages wait for a review by our "
            "compliance team.",
            "at": "2026-12-04T18:00:00+00:00",
        },
    ),
    EventType(
        "business.suspended",
        "The business is suspended: nothing it sends leaves until it is reinstated.",
        obj(**_BUSINESS, from_status=STRING),
        {
            "business": "6f1c1a59-52b6-4a4a-9d43-8d8f1f0f6a11",
            "name": "Bright Smiles Dental",
            "reason": "Carrier penalty for unconsented marketing.",
            "from_status": "APPROVED",
            "at": "2026-12-04T18:00:00+00:00",
        },
    ),
)

TEST_EVENT = EventType(
    "webhook.test",
    'Sent by "Send test event" in the portal or the API, to check a receiver.',
    obj(message=STRING),
    {"message": "A test event from Contact Your Client."},
)
