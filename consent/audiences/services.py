"""Writes of contact field definitions and saved segments."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business
from accounts.services import audit_record
from consent.inputs import FIELD_KEY_RE, FIELD_KINDS

from . import filters as segment_filters
from .models import ContactField, Segment
from .selectors import field_types

KEY_HELP = "Lower-case letters, digits and _, starting with a letter (used as {{ field.key }})."


def contact_field_create(
    *, business: Business, key: str, label: str = "", kind: str = "text", actor=None
) -> ContactField:
    key = (key or "").strip()
    errors: dict[str, list[str]] = {}
    if not FIELD_KEY_RE.fullmatch(key):
        errors["key"] = [KEY_HELP]
    if kind not in FIELD_KINDS:
        errors["kind"] = [f"One of {', '.join(FIELD_KINDS)}."]
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            field = ContactField.objects.create(
                business=business, key=key, label=(label or key).strip()[:80], kind=kind
            )
    except IntegrityError:
        raise Conflict(
            "That field exists already.", fields={"key": ["That field exists already."]}
        ) from None
    audit_record(
        action="audiences.field_create",
        obj=field,
        actor=actor,
        business=business,
        detail={"key": key, "kind": kind},
    )
    return field


def contact_field_delete(*, field: ContactField, actor=None) -> None:
    """The definition goes; contacts keep their values (as they are) under the key."""
    audit_record(
        action="audiences.field_delete",
        obj=field,
        actor=actor,
        business=field.business,
        detail={"key": field.key},
    )
    field.delete()


def segment_create(*, business: Business, name: str, filters: Any, actor=None) -> Segment:
    name = (name or "").strip()[:120]
    if not name:
        raise ValidationFailed(fields={"name": ["Give the segment a name."]})
    clean = segment_filters.clean(filters, kinds=field_types(business=business))
    try:
        with transaction.atomic():
            segment = Segment.objects.create(business=business, name=name, filters=clean)
    except IntegrityError:
        raise Conflict(
            "A segment with that name exists.",
            fields={"name": ["A segment with that name exists."]},
        ) from None
    audit_record(action="audiences.segment_create", obj=segment, actor=actor, business=business)
    return segment


def segment_update(
    *, segment: Segment, name: str | None = None, filters: Any = None, actor=None
) -> Segment:
    if name is not None:
        if not name.strip():
            raise ValidationFailed(fields={"name": ["Give the segment a name."]})
        segment.name = name.strip()[:120]
    if filters is not None:
        segment.filters = segment_filters.clean(
            filters, kinds=field_types(business=segment.business)
        )
    segment.updated_at = timezone.now()
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise Conflict(
            "A segment with that name exists.",
            fields={"name": ["A segment with that name exists."]},
        ) from None
    audit_record(
        action="audiences.segment_update", obj=segment, actor=actor, business=segment.business
    )
    return segment


def segment_delete(*, segment: Segment, actor=None) -> None:
    audit_record(
        action="audiences.segment_delete", obj=segment, actor=actor, business=segment.business
    )
    segment.delete()
