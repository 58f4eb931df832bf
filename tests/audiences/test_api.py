"""Contact fields and segments over the REST API, and typed values through /contacts/."""

import pytest

from tests.factories.consent import ContactFactory

pytestmark = pytest.mark.django_db


def test_fields_and_segments_round_trip(api_client, business, other_api_client):
    r = api_client.post(
        "/api/v1/contact-fields/", {"key": "visits", "kind": "number"}, format="json"
    )
    assert r.status_code == 201, r.json()
    field_uuid = r.json()["uuid"]
    bad = api_client.post("/api/v1/contact-fields/", {"key": "Bad Key"}, format="json")
    assert bad.status_code == 400 and "key" in bad.json()["error"]["fields"]
    dup = api_client.post("/api/v1/contact-fields/", {"key": "visits"}, format="json")
    assert dup.status_code == 409
    assert [f["key"] for f in api_client.get("/api/v1/contact-fields/").json()["results"]] == [
        "visits"
    ]

    made = api_client.post(
        "/api/v1/contacts/",
        {"phone": "+12025550160", "custom_fields": {"visits": "5"}},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["custom_fields"] == {"visits": 5}
    refused = api_client.post(
        "/api/v1/contacts/",
        {"phone": "+12025550161", "custom_fields": {"visits": "x"}},
        format="json",
    )
    assert (
        refused.status_code == 400 and "custom_fields.visits" in refused.json()["error"]["fields"]
    )
    ContactFactory(business=business, custom_fields={"visits": 1})

    r = api_client.post(
        "/api/v1/segments/",
        {"name": "Regulars", "filters": {"fields": [{"key": "visits", "op": "gte", "value": 3}]}},
        format="json",
    )
    assert r.status_code == 201, r.json()
    segment = r.json()
    assert segment["contacts"] == 1 and segment["description"] == "visits ≥ 3"
    bad = api_client.post(
        "/api/v1/segments/", {"name": "x", "filters": {"consent": "maybe"}}, format="json"
    )
    assert bad.status_code == 400 and "filters.consent" in bad.json()["error"]["fields"]
    url = f"/api/v1/segments/{segment['uuid']}/"
    assert api_client.get(url).json()["contacts"] == 1
    patched = api_client.patch(url, {"filters": {}}, format="json")
    assert patched.status_code == 200 and patched.json()["contacts"] == 2
    assert len(api_client.get("/api/v1/segments/").json()["results"]) == 1
    assert other_api_client.get(url).status_code == 404
    assert api_client.delete(url).status_code == 204
    assert api_client.delete(f"/api/v1/contact-fields/{field_uuid}/").status_code == 204


def test_broadcast_api_takes_a_segment(api_client, business):
    from tests.factories.messaging import consenting_contact, sending_number

    number = sending_number(business=business)
    for name in ("Ana", "Bo"):
        consenting_contact(business=business, number=number, name=name, tags=["vip"])
    segment = api_client.post(
        "/api/v1/segments/", {"name": "VIP", "filters": {"tags": ["vip"]}}, format="json"
    ).json()
    body = "Hi {{ first_name }}, we open at 9 on Saturday. Reply STOP to opt out."
    estimate = api_client.post(
        "/api/v1/broadcasts/estimate/",
        {"body": body, "segment": segment["uuid"], "kind": "transactional"},
        format="json",
    )
    assert estimate.status_code == 200, estimate.json()
    assert estimate.json()["recipients"] == 2 and estimate.json()["renderings"] == 2
    r = api_client.post(
        "/api/v1/broadcasts/",
        {"name": "Sat", "body": body, "segment": segment["uuid"], "kind": "transactional"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["segment"] == segment["uuid"] and r.json()["recipient_count"] == 2
    none = api_client.post(
        "/api/v1/broadcasts/", {"name": "x", "body": body, "kind": "transactional"}, format="json"
    )
    assert none.status_code == 400
    missing = api_client.post(
        "/api/v1/broadcasts/",
        {"name": "x", "body": body, "segment": "7d9f0a3e-0000-4000-8000-000000000000"},
        format="json",
    )
    assert missing.status_code == 404
