"""Portal pages of contact fields and segments: errors next to the field, never a 500."""

import pytest

from consent.audiences.models import ContactField, Segment
from tests.factories.consent import ContactFactory

pytestmark = pytest.mark.django_db


def test_define_fields_and_save_a_segment(owner_client, business):
    page = owner_client.get("/app/segments/")
    assert page.status_code == 200 and "No segments yet" in page.content.decode()
    r = owner_client.post(
        "/app/segments/fields/", {"cf-key": "visits", "cf-label": "Visits", "cf-kind": "number"}
    )
    assert r.status_code == 302
    bad = owner_client.post("/app/segments/fields/", {"cf-key": "Bad Key", "cf-kind": "number"})
    assert bad.status_code == 400 and "Lower-case letters" in bad.content.decode()
    dup = owner_client.post("/app/segments/fields/", {"cf-key": "visits", "cf-kind": "number"})
    assert dup.status_code == 400 and "exists already" in dup.content.decode()
    ContactFactory(business=business, name="Regular Rita", custom_fields={"visits": 7})
    ContactFactory(business=business, name="New Ned", custom_fields={"visits": 1})
    bad = owner_client.post(
        "/app/segments/new/",
        {"name": "Regulars", "field_0": "visits", "op_0": "gte", "value_0": "many"},
    )
    assert bad.status_code == 400 and "visits must be a number" in bad.content.decode()
    r = owner_client.post(
        "/app/segments/new/",
        {"name": "Regulars", "field_0": "visits", "op_0": "gte", "value_0": "5"},
    )
    segment = Segment.objects.get(business=business)
    assert r.status_code == 302 and r["Location"].endswith(f"/app/segments/{segment.uuid}/")
    detail = owner_client.get(r["Location"]).content.decode()
    assert "Regular Rita" in detail and "New Ned" not in detail and "visits ≥ 5" in detail
    dup = owner_client.post("/app/segments/new/", {"name": "Regulars"})
    assert dup.status_code == 400 and "exists" in dup.content.decode()
    assert owner_client.post(f"/app/segments/{segment.uuid}/delete/").status_code == 302
    field = ContactField.objects.get(business=business)
    assert owner_client.post(f"/app/segments/fields/{field.uuid}/delete/").status_code == 302
    assert not ContactField.objects.exists() and not Segment.objects.exists()


def test_edit_a_contacts_typed_fields(owner_client, business):
    ContactField.objects.create(
        business=business, key="last_visit", label="Last visit", kind="date"
    )
    ContactField.objects.create(business=business, key="visits", label="Visits", kind="number")
    contact = ContactFactory(business=business, custom_fields={"visits": 2, "note": "keep"})
    url = f"/app/contacts/{contact.uuid}/fields/"
    page = owner_client.get(url).content.decode()
    assert 'type="date"' in page and 'value="2"' in page
    bad = owner_client.post(url, {"f_visits": "two", "f_last_visit": "2026-11-30"})
    assert bad.status_code == 400 and "visits must be a number" in bad.content.decode()
    assert (
        owner_client.post(url, {"f_visits": "3", "f_last_visit": "2026-11-30"}).status_code == 302
    )
    contact.refresh_from_db()
    assert contact.custom_fields == {"visits": 3, "last_visit": "2026-11-30", "note": "keep"}
    owner_client.post(url, {"f_visits": "", "f_last_visit": "2026-11-30"})
    contact.refresh_from_db()
    assert "visits" not in contact.custom_fields
    assert "Contact fields" in owner_client.get(f"/app/contacts/{contact.uuid}/").content.decode()
