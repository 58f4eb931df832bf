"""Reads of contact fields and segments, each scoped by the business."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Business
from consent.models import ConsentState, Contact
from consent.selectors import contacts_for_audience

from .models import ContactField, Segment


def field_types(*, business: Business) -> dict[str, str]:
    return dict(ContactField.objects.filter(business=business).values_list("key", "kind"))


def contact_field_list(*, business: Business) -> QuerySet[ContactField]:
    return ContactField.objects.filter(business=business).order_by("key")


def contact_field_get(*, business: Business, field_uuid) -> ContactField:
    field = ContactField.objects.filter(business=business, uuid=field_uuid).first()
    if field is None:
        raise NotFound("Contact field not found.")
    return field


def segment_list(*, business: Business) -> QuerySet[Segment]:
    return Segment.objects.filter(business=business).order_by("name", "id")


def segment_get(*, business: Business, segment_uuid) -> Segment:
    segment = Segment.objects.filter(business=business, uuid=segment_uuid).first()
    if segment is None:
        raise NotFound("Segment not found.")
    return segment


_LOOKUP = {"eq": "", "gt": "__gt", "gte": "__gte", "lt": "__lt", "lte": "__lte"}


def _field_q(cond: dict) -> Q:
    key, op, value = cond["key"], cond["op"], cond["value"]
    path = f"custom_fields__{key}"
    has = Q(custom_fields__has_key=key) & ~Q(**{path: ""}) & ~Q(**{f"{path}__isnull": True})
    if op == "set":
        return has
    if op == "empty":
        return ~has
    if op == "ne":  # a contact without the field is not equal to it either
        return ~Q(custom_fields__has_key=key) | (
            Q(custom_fields__has_key=key) & ~Q(**{path: value})
        )
    if op == "contains":
        return Q(**{f"{path}__icontains": value})
    return Q(**{f"{path}{_LOOKUP[op]}": value})


def segment_contacts(*, business: Business, filters: dict) -> QuerySet[Contact]:
    """The contacts matching cleaned ``filters`` now (non-erased, with a phone), by id."""
    qs = contacts_for_audience(business=business, tags=filters.get("tags") or None)
    for cond in filters.get("fields") or []:
        qs = qs.filter(_field_q(cond))
    consent = filters.get("consent")
    if consent:
        states = ConsentState.objects.filter(business=business, contact=OuterRef("pk"))
        if consent == "none":
            qs = qs.filter(~Exists(states))
        else:
            qs = qs.filter(Exists(states.filter(status=consent.upper())))
    now = timezone.now()
    if filters.get("active_within_days"):
        qs = qs.filter(last_inbound_at__gte=now - timedelta(days=filters["active_within_days"]))
    if filters.get("inactive_days"):
        since = now - timedelta(days=filters["inactive_days"])
        qs = qs.filter(Q(last_inbound_at=None) | Q(last_inbound_at__lt=since))
    return qs.order_by("id")


def segment_members(*, segment: Segment) -> QuerySet[Contact]:
    return segment_contacts(business=segment.business, filters=segment.filters)
