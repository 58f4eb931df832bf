"""Sweep rules for contact fields and saved segments (portal and API)."""

from accounts.roles import Cap
from tests.sweep import Rule


def _field(business):
    from consent.audiences.models import ContactField

    return {"field_uuid": ContactField.objects.create(business=business, key="k", label="K").uuid}


def _segment(business):
    from consent.audiences.models import Segment

    return {"segment_uuid": Segment.objects.create(business=business, name="s", filters={}).uuid}


def _contact(business):
    from tests.factories.consent import ContactFactory

    return {"contact_uuid": ContactFactory(business=business).uuid}


RULES = {
    "audiences:index": Rule("portal", cap=Cap.VIEW),
    "audiences:field-create": Rule(
        "portal",
        cap=Cap.MANAGE_CONTACTS,
        method="post",
        data=lambda b, kw: {"cf-key": "visits", "cf-kind": "number"},
    ),
    "audiences:field-delete": Rule("portal", cap=Cap.MANAGE_CONTACTS, method="post", kwargs=_field),
    "audiences:segment-create": Rule(
        "portal", cap=Cap.MANAGE_CONTACTS, method="post", data=lambda b, kw: {"name": "All"}
    ),
    "audiences:segment-detail": Rule("portal", cap=Cap.VIEW, kwargs=_segment),
    "audiences:segment-delete": Rule(
        "portal", cap=Cap.MANAGE_CONTACTS, method="post", kwargs=_segment
    ),
    "audiences:contact-fields": Rule("portal", cap=Cap.VIEW, kwargs=_contact),
    "api-contact-fields": Rule("api", cap=Cap.VIEW),
    "api-contact-field": Rule("api", cap=Cap.MANAGE_CONTACTS, method="delete", kwargs=_field),
    "api-segments": Rule("api", cap=Cap.VIEW),
    "api-segment": Rule("api", cap=Cap.VIEW, kwargs=_segment),
}
