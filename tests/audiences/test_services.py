"""Typed contact fields (portal, API, CSV import) and saved segments evaluated live."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.errors import Conflict, NotFound, ValidationFailed
from consent import services as consent_services
from consent.audiences import selectors, services
from consent.audiences.models import ContactField, Segment
from consent.models import Contact, Method
from tests.factories.consent import ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db


def test_field_definitions(business, other_business):
    field = services.contact_field_create(business=business, key="visits", kind="number")
    assert field.label == "visits"
    with pytest.raises(Conflict):
        services.contact_field_create(business=business, key="visits", kind="text")
    with pytest.raises(ValidationFailed) as bad:
        services.contact_field_create(business=business, key="Bad Key", kind="colour")
    assert set(bad.value.fields) == {"key", "kind"}
    services.contact_field_create(business=other_business, key="visits", kind="date")
    assert selectors.field_types(business=business) == {"visits": "number"}
    with pytest.raises(NotFound):
        selectors.contact_field_get(business=other_business, field_uuid=field.uuid)
    services.contact_field_delete(field=field)
    assert not ContactField.objects.filter(pk=field.pk).exists()


def test_contact_writes_store_typed_values(business):
    services.contact_field_create(business=business, key="visits", kind="number")
    services.contact_field_create(business=business, key="last_visit", kind="date")
    contact = consent_services.contact_create(
        business=business, phone="+12025550150", custom_fields={"visits": "4", "note": "hi"}
    )
    assert contact.custom_fields == {"visits": 4, "note": "hi"}
    consent_services.contact_update(
        business=business, contact=contact, custom_fields={"last_visit": "11/30/2026"}
    )
    contact.refresh_from_db()
    assert contact.custom_fields == {"last_visit": "2026-11-30"}
    with pytest.raises(ValidationFailed) as bad:
        consent_services.contact_update(
            business=business, contact=contact, custom_fields={"visits": "four"}
        )
    assert "custom_fields.visits" in bad.value.fields


@pytest.mark.parametrize("use_copy", [True, False])
def test_csv_import_types_custom_columns(business, owner, settings, use_copy):
    from django.test.utils import override_settings

    services.contact_field_create(business=business, key="visits", kind="number")
    content = b"Phone,Name,visits,stylist\n2025550111,Ann,3,Jo\n2025550112,Bob,lots,Jo\n"
    imp = consent_services.contact_import_create(
        business=business, filename="l.csv", content=content, actor=owner.user
    )
    with override_settings(CONSENT_IMPORT_SYNC_ROWS=-1):
        imp = consent_services.contact_import_start(
            business=business, imp=imp, mapping={"phone": "Phone", "name": "Name"},
            custom_columns=["visits", "stylist"], scope_kind="informational", attest=True,
            actor=owner.user,
        )  # fmt: skip
    imp = consent_services.contact_import_run(import_id=imp.pk, use_copy=use_copy)
    assert imp.status == "DONE", imp.error
    assert {r["line"]: r["reason"] for r in imp.report} == {3: "visits must be a number"}
    ann = Contact.objects.get(business=business, phone="+12025550111")
    assert ann.custom_fields == {"visits": 3, "stylist": "Jo"}


def _uuids(qs):
    return {c.uuid for c in qs}


def test_segments_filter_tags_fields_consent_and_activity(business, other_business):
    services.contact_field_create(business=business, key="visits", kind="number")
    services.contact_field_create(business=business, key="last_visit", kind="date")
    services.contact_field_create(business=business, key="stylist", kind="text")
    now = timezone.now()
    a = opted_in_contact(business=business, kind="marketing", tags=["vip"],
                         custom_fields={"visits": 12, "last_visit": "2026-10-01",
                                        "stylist": "Joanna"},
                         last_inbound_at=now - timedelta(days=2))  # fmt: skip
    b = ContactFactory(business=business, tags=["vip"],
                       custom_fields={"visits": 2, "last_visit": "2026-12-01", "stylist": ""},
                       last_inbound_at=now - timedelta(days=200))  # fmt: skip
    c = ContactFactory(business=business, tags=[], custom_fields={"visits": 9})
    d = opted_in_contact(business=business, kind="marketing", tags=["vip"])
    consent_services.consent_record_opt_out(
        business=business, contact=d, method=Method.KEYWORD, scope_all=True
    )
    ContactFactory(business=other_business, tags=["vip"], custom_fields={"visits": 50})

    def members(**raw):
        segment = services.segment_create(business=business, name=str(raw), filters=raw)
        return _uuids(selectors.segment_members(segment=segment))

    assert members(tags=["vip"]) == {a.uuid, b.uuid, d.uuid}
    assert members(fields=[{"key": "visits", "op": "gte", "value": "9"}]) == {a.uuid, c.uuid}
    assert members(fields=[{"key": "visits", "op": "lt", "value": 9}]) == {b.uuid}
    assert members(fields=[{"key": "visits", "op": "eq", "value": 2}]) == {b.uuid}
    assert members(fields=[{"key": "visits", "op": "ne", "value": 2}]) == {a.uuid, c.uuid, d.uuid}
    assert members(fields=[{"key": "last_visit", "op": "gt", "value": "2026-11-01"}]) == {b.uuid}
    assert members(fields=[{"key": "last_visit", "op": "lte", "value": "10/01/2026"}]) == {a.uuid}
    assert members(fields=[{"key": "stylist", "op": "contains", "value": "jo"}]) == {a.uuid}
    assert members(fields=[{"key": "stylist", "op": "set"}]) == {a.uuid}
    assert members(fields=[{"key": "stylist", "op": "empty"}]) == {b.uuid, c.uuid, d.uuid}
    assert members(consent="opted_in") == {a.uuid}
    assert members(consent="opted_out") == {d.uuid}
    assert members(consent="none") == {b.uuid, c.uuid}
    assert members(active_within_days=30) == {a.uuid}
    assert members(inactive_days=30) == {b.uuid, c.uuid, d.uuid}
    assert members(tags=["vip"], consent="opted_in", active_within_days=7) == {a.uuid}


def test_segment_writes(business, other_business):
    segment = services.segment_create(business=business, name="All", filters={})
    with pytest.raises(Conflict):
        services.segment_create(business=business, name="All", filters={})
    with pytest.raises(ValidationFailed):
        services.segment_create(business=business, name=" ", filters={})
    other = services.segment_create(business=business, name="Other", filters={})
    with pytest.raises(Conflict):
        services.segment_update(segment=other, name="All")
    with pytest.raises(ValidationFailed):
        services.segment_update(segment=other, name="")
    services.segment_update(segment=segment, name="VIP", filters={"tags": ["vip"]})
    segment.refresh_from_db()
    assert segment.name == "VIP" and segment.filters["tags"] == ["vip"]
    with pytest.raises(NotFound):
        selectors.segment_get(business=other_business, segment_uuid=segment.uuid)
    services.segment_delete(segment=segment)
    assert not Segment.objects.filter(pk=segment.pk).exists()
