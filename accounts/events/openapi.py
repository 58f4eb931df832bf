"""The OpenAPI document's ``webhooks`` section, drawn from the event catalog (a
drf-spectacular post-processing hook): for each event type, the POST we make, its
envelope with the type's ``data`` schema, an example, and the signature headers."""

from typing import Any

from . import catalog
from .services import HEADER_EVENT, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP

_HEADERS = (
    (HEADER_ID, "The event id, the same on every retry and resend: deduplicate on it."),
    (HEADER_EVENT, "The event type."),
    (HEADER_TIMESTAMP, "Unix seconds when this attempt was signed."),
    (
        HEADER_SIGNATURE,
        "`v1=` + hex HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the endpoint's "
        "secret. Recompute it over the raw body, compare in constant time, reject timestamps "
        "older than five minutes.",
    ),
)


def _component(name: str) -> str:
    return "Event_" + name.replace(".", "_")


def envelope_schema(kind: catalog.EventType) -> dict[str, Any]:
    """The JSON Schema of the whole body POSTed for ``kind``."""
    return {
        "type": "object",
        "description": kind.summary,
        "properties": {
            "id": {**catalog.UUID, "description": "The event id (Webhook-Id)."},
            "type": {"type": "string", "const": kind.name},
            "created": catalog.TIME,
            "data": kind.schema,
            "test": {"type": "boolean", "description": "Present (true) on test events only."},
        },
        "required": ["id", "type", "created", "data"],
    }


def example_body(kind: catalog.EventType) -> dict[str, Any]:
    return {
        "id": "2b7e1516-28ae-4d2a-a6f7-15880932e3f1",
        "type": kind.name,
        "created": "2026-12-04T18:00:03.120000+00:00",
        "data": kind.example,
    }


def add_webhooks(result: dict, generator, request, public) -> dict:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    webhooks = {}
    for kind in sorted(catalog.all_types(), key=lambda t: t.name):
        schemas[_component(kind.name)] = envelope_schema(kind)
        webhooks[kind.name] = {
            "post": {
                "operationId": "event_" + kind.name.replace(".", "_"),
                "summary": kind.name,
                "description": kind.summary,
                "tags": ["events"],
                "security": [],
                "parameters": [
                    {
                        "name": header,
                        "in": "header",
                        "required": True,
                        "description": description,
                        "schema": {"type": "string"},
                    }
                    for header, description in _HEADERS
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": f"#/components/schemas/{_component(kind.name)}"},
                            "example": example_body(kind),
                        }
                    },
                },
                "responses": {
                    "2XX": {"description": "Received. Anything else is retried with backoff."}
                },
            }
        }
    result["webhooks"] = webhooks
    return result
