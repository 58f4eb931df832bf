"""Idempotency keys on every create endpoint of the API: the same key and request replay
the first answer (200, nothing created twice), the same key with another request is 409 in
the one error shape, keys are per business and per endpoint, a refused request leaves the
key free, and the stored answers are purged by retention."""

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import IdempotentRequest
from accounts.privacy import retention
from campaigns.models import Brand, Campaign
from consent.models import ConsentEvent, Contact, ContactImport
from messaging.models import Broadcast
from tests.campaigns.conftest import brand_input, campaign_input
from tests.factories.campaigns import BrandFactory
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db

CSV = b"Phone,Name\n+12025550181,Ada\n"


def _contacts(business):
    return ("/api/v1/contacts/", lambda n: {"phone": f"+1312555{n:04d}"}, Contact)


def _consent(business):
    contact = ContactFactory(business=business)
    url = f"/api/v1/contacts/{contact.uuid}/consent/"
    return (url, lambda n: {"action": "opt_out", "scope_all": bool(n % 2)}, ConsentEvent)


def _imports(business):
    def body(n):
        return {"filename": f"list{n}.csv", "content_base64": base64.b64encode(CSV).decode()}

    return ("/api/v1/imports/", body, ContactImport)


def _brands(business):
    return ("/api/v1/brands/", lambda n: brand_input(display_name=f"Smile {n}"), Brand)


def _campaigns(business):
    brand = BrandFactory(business=business, display_name="Bright Smile")
    return (
        "/api/v1/campaigns/",
        lambda n: {**campaign_input(), "brand": str(brand.uuid), "name": f"Reminders {n}"},
        Campaign,
    )


def _broadcasts(business):
    number = sending_number(business=business)
    consenting_contact(business=business, number=number, tags=["vip"])
    return (
        "/api/v1/broadcasts/",
        lambda n: {
            "name": f"Offer {n}",
            "body": "Bright Smile: 20% off whitening. Reply STOP to opt out.",
            "kind": "marketing",
            "tags": ["vip"],
            "from_number": str(number.uuid),
        },
        Broadcast,
    )


ENDPOINTS = [_contacts, _consent, _imports, _brands, _campaigns, _broadcasts]


@pytest.mark.parametrize("make", ENDPOINTS, ids=lambda f: f.__name__.strip("_"))
def test_same_key_same_request_replays_and_another_request_is_refused(make, api_client, business):
    url, body, model = make(business)
    before = model.objects.count()
    first = api_client.post(url, body(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    again = api_client.post(url, body(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert model.objects.count() == before + 1  # created once

    other = api_client.post(url, body(2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 409
    error = other.json()["error"]
    assert set(error) == {"code", "message", "fields", "detail"}
    assert error["code"] == "idempotency_key_reused" and error["detail"]["key"] == "k-1"
    assert model.objects.count() == before + 1

    # without a key, or with another key, the same request creates again
    third = api_client.post(url, body(3), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert third.status_code == 201
    assert model.objects.count() == before + 2


def test_keys_are_per_business(api_client, other_api_client):
    body = {"phone": "+13125550177"}
    a = api_client.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = other_api_client.post("/api/v1/contacts/", body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert a.status_code == b.status_code == 201
    assert a.json()["uuid"] != b.json()["uuid"]


def test_keys_are_per_endpoint(api_client, business):
    a = api_client.post(
        "/api/v1/contacts/", {"phone": "+13125550178"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    b = api_client.post("/api/v1/brands/", brand_input(), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert a.status_code == b.status_code == 201
    assert {r.operation for r in IdempotentRequest.objects.filter(business=business)} == {
        "contacts_create",
        "brands_create",
    }


def test_a_refused_request_leaves_the_key_free(api_client):
    bad = api_client.post(
        "/api/v1/contacts/", {"phone": "12"}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me"
    )
    assert bad.status_code == 400
    assert not IdempotentRequest.objects.exists()
    fixed = api_client.post(
        "/api/v1/contacts/", {"phone": "+13125550179"}, format="json", HTTP_IDEMPOTENCY_KEY="fix-me"
    )
    assert fixed.status_code == 201


def test_a_key_longer_than_100_characters_is_a_field_error(api_client):
    response = api_client.post(
        "/api/v1/contacts/", {"phone": "+13125550180"}, format="json",
        HTTP_IDEMPOTENCY_KEY="x" * 101,
    )  # fmt: skip
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["error"]["fields"]
    assert not Contact.objects.exists()


def test_the_key_order_of_a_json_body_does_not_matter(api_client):
    url = "/api/v1/contacts/"
    first = api_client.post(
        url, {"phone": "+13125550181", "name": "Ada"}, format="json", HTTP_IDEMPOTENCY_KEY="o"
    )
    again = api_client.post(
        url, {"name": "Ada", "phone": "+13125550181"}, format="json", HTTP_IDEMPOTENCY_KEY="o"
    )
    assert (first.status_code, again.status_code) == (201, 200)


def test_a_multipart_upload_is_fingerprinted_by_its_file(api_client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def upload(content):
        return api_client.post(
            "/api/v1/imports/",
            {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="up",
        )

    assert upload(CSV).status_code == 201
    assert upload(CSV).status_code == 200
    assert upload(CSV + b"+12025550182,Bo\n").status_code == 409
    assert ContactImport.objects.count() == 1


def test_stored_answers_are_purged_after_a_day(api_client, business):
    api_client.post(
        "/api/v1/contacts/", {"phone": "+13125550182"}, format="json", HTTP_IDEMPOTENCY_KEY="old"
    )
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    api_client.post(
        "/api/v1/contacts/", {"phone": "+13125550183"}, format="json", HTTP_IDEMPOTENCY_KEY="new"
    )
    retention.retention_run(now=timezone.now())
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_the_schema_documents_the_header_on_every_create(client):
    schema = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json").json()
    for path, op_id in [
        ("/api/v1/contacts/", "post"),
        ("/api/v1/contacts/{contact_uuid}/consent/", "post"),
        ("/api/v1/imports/", "post"),
        ("/api/v1/brands/", "post"),
        ("/api/v1/campaigns/", "post"),
        ("/api/v1/broadcasts/", "post"),
        ("/api/v1/messages/", "post"),
    ]:
        names = {p["name"] for p in schema["paths"][path][op_id].get("parameters", [])}
        assert "Idempotency-Key" in names, path
