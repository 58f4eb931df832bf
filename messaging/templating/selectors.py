"""Reads: templates of a business, and rendering (merge values -> text) for one or many
contacts. Rendering writes nothing; the send path checks what it produces."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from accounts.errors import NotFound, ValidationFailed
from accounts.models import Business
from consent.models import Contact
from messaging.segments import segment_count

from . import merge
from .models import MessageTemplate


def template_list(*, business: Business) -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(business=business).order_by("name", "id")


def template_get(*, business: Business, template_uuid) -> MessageTemplate:
    template = MessageTemplate.objects.filter(business=business, uuid=template_uuid).first()
    if template is None:
        raise NotFound("Template not found.")
    return template


def template_parse(body: str, *, field: str = "body") -> tuple[merge.Part, ...]:
    """The parsed body, or ValidationFailed naming ``field`` and where the error is."""
    try:
        return merge.parse(body)
    except merge.MergeSyntaxError as exc:
        raise ValidationFailed(
            exc.message,
            fields={field: [f"{exc.message} (at character {exc.position + 1})"]},
            detail={"position": exc.position},
        ) from None


def merge_values(
    *, business: Business, contact: Contact | None, variables: dict[str, Any] | None = None
) -> dict[str, object]:
    """The values a template can use for one recipient."""
    name = (contact.name if contact is not None else "").strip()
    first, _, last = name.partition(" ")
    values: dict[str, object] = {
        "first_name": first,
        "last_name": last.strip(),
        "full_name": name,
        "business_name": business.display_name,
    }
    if contact is not None:
        for key, value in (contact.custom_fields or {}).items():
            values[f"field.{key}"] = value
    for key, value in (variables or {}).items():
        values[f"var.{key}"] = value
    return values


def clean_variables(variables: Any) -> dict[str, Any]:
    """Per-send variables from the API: an object of short scalar values."""
    if variables in (None, ""):
        return {}
    if not isinstance(variables, dict) or len(variables) > 50:
        raise ValidationFailed(fields={"variables": ["An object of at most 50 values."]})
    for key, value in variables.items():
        if not isinstance(key, str) or not merge.VAR_KEY_RE.fullmatch(key):
            raise ValidationFailed(
                fields={"variables": [f"{str(key)[:40]!r}: lower-case letters, digits and _."]}
            )
        if isinstance(value, dict | list):
            raise ValidationFailed(fields={f"variables.{key}": ["Text or a number."]})
    return dict(variables)


def render_one(
    *,
    business: Business,
    body: str,
    contact: Contact | None,
    variables: dict[str, Any] | None = None,
) -> str:
    """``body`` for one recipient (unchanged when it has no merge field)."""
    if not merge.has_fields(body):
        return body
    parts = template_parse(body)
    return merge.render(
        parts, merge_values(business=business, contact=contact, variables=variables)
    )[0]


def render_many(
    *, business: Business, body: str, contacts: Iterable[Contact], variables=None
) -> list[str]:
    """``body`` for each contact, in order; parsed once."""
    contacts = list(contacts)
    if not merge.has_fields(body):
        return [body] * len(contacts)
    parts = template_parse(body)
    return [
        merge.render(parts, merge_values(business=business, contact=c, variables=variables))[0]
        for c in contacts
    ]


def _size(text: str) -> tuple[int, int]:
    return segment_count(text), len(text)


def renderings_summary(
    *, business: Business, body: str, contacts: Iterable[Contact], sample: int = 5
) -> dict[str, Any]:
    """What an audience gets: how many distinct texts, the longest one (by segments, then
    characters: what the segment counter and the estimate use), a few examples, and the
    fields that came out empty."""
    if not merge.has_fields(body):
        return {"distinct": 1, "longest": body, "examples": [body], "missing": []}
    parts = template_parse(body)
    seen: dict[str, None] = {}
    longest = merge.skeleton(parts)
    longest_size = _size(longest)
    missing: dict[str, None] = {}
    for contact in contacts:
        text, empty = merge.render(parts, merge_values(business=business, contact=contact))
        seen.setdefault(text, None)
        for name in empty:
            missing.setdefault(name, None)
        size = _size(text)
        if size > longest_size:
            longest, longest_size = text, size
    return {
        "distinct": len(seen) or 1,
        "longest": longest,
        "examples": list(seen)[:sample] or [longest],
        "missing": list(missing),
    }
