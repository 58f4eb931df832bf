"""REST API: contacts, consent with evidence, ledger, proof, data rights, forms, imports."""

import base64

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from consent.models import ConsentEvent, Contact
from tests.factories.accounts import LONG_EMAIL
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db


def test_contacts_list_is_scoped_and_has_constant_queries(
    api_client, business, django_assert_num_queries
):
    for i in range(3):
        opted_in_contact(business=business, kind="marketing", name=f"P{i}")
    ContactFactory()  # another business's
    url = reverse("api-contacts")
    api_client.get(url)
    with django_assert_num_queries(2):  # the key, the page
        response = api_client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    for _ in range(20):
        ContactFactory(business=business)
    with django_assert_num_queries(2):
        response = api_client.get(url)
    assert len(response.json()["results"]) == 23


def test_create_contact_then_record_consent_with_evidence(api_client, business):
    campaign = CampaignFactory(business=business)
    response = api_client.post(
        reverse("api-contacts"), {"phone": "(312) 555-0301", "name": "Lee"}, format="json"
    )
    assert response.status_code == 201, response.content
    contact_uuid = response.json()["uuid"]
    assert response.json()["phone"] == "+13125550301"
    dup = api_client.post(reverse("api-contacts"), {"phone": "3125550301"}, format="json")
    assert dup.status_code == 409 and dup.json()["error"]["fields"]["phone"]
    bad = api_client.post(reverse("api-contacts"), {"phone": "12"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["error"]["fields"]
    url = reverse("api-contact-consent", kwargs={"contact_uuid": contact_uuid})
    missing = api_client.post(
        url, {"action": "opt_in", "campaign": str(campaign.uuid)}, format="json"
    )
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "evidence_missing"
    response = api_client.post(
        url,
        {
            "action": "opt_in",
            "campaign": str(campaign.uuid),
            "double_opt_in": False,
            "evidence": {
                "disclosure_text": "I agree to texts from Bright Smile...",
                "page_url": "https://brightsmile.example/join",
                "ip": "198.51.100.7",
                "consented_at": "2026-11-01T10:00:00-05:00",
            },
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "OPT_IN_CONFIRMED" and body["ip"] == "198.51.100.7"
    assert body["consented_at"].startswith("2026-11-01T15:00:00")
    again = api_client.post(
        url,
        {
            "action": "opt_in",
            "campaign": str(campaign.uuid),
            "evidence": {"source": "again"},
        },
        format="json",
    )
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]
    listing = api_client.get(url).json()
    assert [e["kind"] for e in listing] == ["OPT_IN_CONFIRMED"]
    ledger = api_client.get(reverse("api-consent-events"), {"campaign": str(campaign.uuid)})
    assert len(ledger.json()["results"]) == 1
    assert api_client.get(reverse("api-consent-events"), {"since": "nope"}).status_code == 400
    out = api_client.post(url, {"action": "opt_out", "scope_all": True}, format="json")
    assert out.status_code == 201 and out.json()["kind"] == "OPT_OUT"


def test_proof_csv_and_data_subject_rights(api_client, other_api_client, business):
    contact = opted_in_contact(business=business, kind="marketing", phone="+13125550310")
    proof = api_client.get(reverse("api-consent-proof"), {"export": "csv"})
    assert proof.status_code == 200 and b"+13125550310" in proof.content
    assert api_client.get(reverse("api-consent-proof")).json()[0]["phone"] == "+13125550310"
    # another business cannot see or erase it
    assert (
        other_api_client.post(
            reverse("api-subject-export"), {"phone": "+13125550310"}, format="json"
        ).status_code
        == 404
    )
    exported = api_client.post(
        reverse("api-subject-export"), {"phone": "312 555 0310"}, format="json"
    )
    assert exported.status_code == 200
    assert exported.json()["contact"]["uuid"] == str(contact.uuid)
    erased = api_client.post(reverse("api-subject-erase"), {"phone": "+13125550310"}, format="json")
    assert erased.status_code == 200 and erased.json()["erased_at"]
    assert not Contact.objects.filter(phone="+13125550310").exists()
    assert ConsentEvent.objects.filter(contact=contact).exists()
    assert AuditEvent.objects.filter(action="consent.contact_erase", business=business).exists()
    gone = api_client.post(reverse("api-subject-export"), {"phone": "+13125550310"}, format="json")
    assert gone.status_code == 404


def test_forms_and_imports_through_the_api(api_client, business):
    created = api_client.post(
        reverse("api-optin-forms"),
        {
            "name": "API form",
            "program_name": "Smile",
            "message_description": "reminders",
            "terms_url": "https://brightsmile.example/terms",
            "privacy_url": "https://brightsmile.example/privacy",
            "allowed_origins": ["https://brightsmile.example/"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    form = created.json()
    assert form["double_opt_in"] is True and "Msg & data rates may apply" in form["disclosure_text"]
    patched = api_client.patch(
        reverse("api-optin-form", kwargs={"form_uuid": form["uuid"]}),
        {"allowed_origins": ["ftp://nope"]},
        format="json",
    )
    assert patched.status_code == 400 and "allowed_origins" in patched.json()["error"]["fields"]

    csv = (
        b"phone,consent_date,consent_source,consent_method\n3125550320,2026-01-02,desk,paper_form\n"
    )
    uploaded = api_client.post(
        reverse("api-imports"),
        {"filename": "a.csv", "content_base64": base64.b64encode(csv).decode()},
        format="json",
    )
    assert uploaded.status_code == 201, uploaded.content
    imp = uploaded.json()
    assert imp["headers"] == ["phone", "consent_date", "consent_source", "consent_method"]
    start = reverse("api-import-start", kwargs={"import_uuid": imp["uuid"]})
    refused = api_client.post(
        start,
        {"mapping": imp["mapping"]["fields"], "scope_kind": "marketing", "attest": False},
        format="json",
    )
    assert refused.status_code == 400 and "attest" in refused.json()["error"]["fields"]
    done = api_client.post(
        start,
        {"mapping": imp["mapping"]["fields"], "scope_kind": "marketing", "attest": True},
        format="json",
    )
    assert done.status_code == 200 and done.json()["status"] == "DONE"
    assert done.json()["consented_count"] == 1
    again = api_client.post(
        start,
        {"mapping": imp["mapping"]["fields"], "scope_kind": "marketing", "attest": True},
        format="json",
    )
    assert again.status_code == 409


def test_correct_a_contact_validated_audited_and_scoped(api_client, other_api_client, business):
    contact = ContactFactory(business=business, phone="+13125550341", name="Lee", email="")
    url = reverse("api-contact", kwargs={"contact_uuid": contact.uuid})
    patched = api_client.patch(
        url,
        {"name": "Lee Park", "email": "lee@example.com", "tags": ["vip", "vip", "spring"]},
        format="json",
    )
    assert patched.status_code == 200, patched.content
    body = patched.json()
    assert (body["name"], body["email"], body["tags"]) == (
        "Lee Park",
        "lee@example.com",
        ["spring", "vip"],
    )
    contact.refresh_from_db()
    assert contact.name == "Lee Park" and contact.phone_e164 == "+13125550341"
    audit = AuditEvent.objects.get(action="consent.contact_update", business=business)
    assert audit.detail == {"fields": ["email", "name", "tags"]}
    # a time zone the send path could not use is refused, next to the field
    bad = api_client.patch(url, {"time_zone": "Mars/Olympus_Mons"}, format="json")
    assert bad.status_code == 400
    assert "time_zone" in bad.json()["error"]["fields"]
    ok = api_client.patch(url, {"time_zone": "America/Denver"}, format="json")
    assert ok.status_code == 200 and ok.json()["time_zone"] == "America/Denver"
    # empty: derived from the number again (312 is Chicago)
    derived = api_client.patch(url, {"time_zone": ""}, format="json")
    assert derived.status_code == 200 and derived.json()["time_zone"] == "America/Chicago"
    # another business's key: the same 404 as a missing contact, nothing changed
    foreign = other_api_client.patch(url, {"name": "Hijack"}, format="json")
    assert foreign.status_code == 404
    contact.refresh_from_db()
    assert contact.name == "Lee Park"


def test_an_invalid_time_zone_is_refused_when_a_contact_is_created(api_client):
    response = api_client.post(
        reverse("api-contacts"),
        {"phone": "(312) 555-0342", "time_zone": "Central Time"},
        format="json",
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()["error"]["fields"]
    assert not Contact.objects.filter(phone="+13125550342").exists()


def test_an_erased_contact_cannot_be_corrected(api_client, business):
    from consent import services

    contact = ContactFactory(business=business, phone="+13125550343")
    services.contact_erase(business=business, contact=contact)
    response = api_client.patch(
        reverse("api-contact", kwargs={"contact_uuid": contact.uuid}),
        {"name": "Back again"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "contact_erased"


def test_another_business_form_import_and_campaign_are_404_like_missing_ones(
    api_client, other_api_client, business, owner
):
    from consent import services
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business)
    imp = services.contact_import_create(
        business=business, filename="a.csv", content=b"phone\n3125550330\n", actor=owner.user
    )
    campaign = CampaignFactory(business=business)
    assert api_client.get(reverse("api-optin-forms")).json()["results"][0]["uuid"] == str(form.uuid)
    assert len(api_client.get(reverse("api-imports")).json()["results"]) == 1
    urls = [
        reverse("api-optin-form", kwargs={"form_uuid": form.uuid}),
        reverse("api-import", kwargs={"import_uuid": imp.uuid}),
    ]
    for url in urls:
        assert api_client.get(url).status_code == 200
        foreign = other_api_client.get(url)
        assert foreign.status_code == 404 and foreign.json()["error"]["code"] == "not_found"
    ledger = other_api_client.get(reverse("api-consent-events"), {"campaign": str(campaign.uuid)})
    assert ledger.status_code == 404
    assert other_api_client.get(reverse("api-optin-forms")).json()["results"] == []
    assert other_api_client.get(reverse("api-imports")).json()["results"] == []


def test_ledger_and_contact_filters(api_client, business):
    from datetime import timedelta

    from django.utils import timezone

    tagged = opted_in_contact(business=business, kind="marketing", tags=["vip"])
    opted_in_contact(business=business, kind="marketing")
    contacts = api_client.get(reverse("api-contacts"), {"tag": "vip"}).json()["results"]
    assert [c["uuid"] for c in contacts] == [str(tagged.uuid)]
    now = timezone.now()
    ledger = reverse("api-consent-events")
    day_before = (now - timedelta(days=1)).isoformat()
    day_after = (now + timedelta(days=1)).isoformat()
    assert len(api_client.get(ledger, {"since": day_before}).json()["results"]) == 2
    assert api_client.get(ledger, {"since": day_after}).json()["results"] == []
    assert api_client.get(ledger, {"until": day_before}).json()["results"] == []


def test_data_subject_request_for_a_number_that_is_not_a_phone_is_404(api_client):
    response = api_client.post(reverse("api-subject-export"), {"phone": "hello"}, format="json")
    assert response.status_code == 404


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields", "detail"}
    return body


def test_api_double_opt_in_texts_reply_yes(api_client, business):
    from messaging.models import Message
    from tests.factories.campaigns import PhoneNumberFactory

    number = PhoneNumberFactory(business=business)
    contact = ContactFactory(business=business)
    url = reverse("api-contact-consent", kwargs={"contact_uuid": contact.uuid})
    body = {
        "action": "opt_in",
        "campaign": str(number.campaign.uuid),
        "evidence": {"disclosure_text": "Web form: reminders, 4/month, STOP, HELP."},
    }
    response = api_client.post(url, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "OPT_IN"
    (text,) = Message.objects.filter(business=business, contact=contact)
    assert "YES" in text.body
    again = api_client.post(url, body, format="json")  # pending already: no second text
    assert again.status_code == 200
    assert Message.objects.filter(business=business, contact=contact).count() == 1


def test_proof_for_one_contact_and_foreign_contact_is_404(api_client, business, other_business):
    mine = opted_in_contact(business=business, kind="marketing", phone="+13125550320")
    opted_in_contact(business=business, kind="marketing", phone="+13125550321")
    proof = api_client.get(reverse("api-consent-proof"), {"contact": str(mine.uuid)}).json()
    assert [r["phone"] for r in proof] == ["+13125550320"]
    foreign = ContactFactory(business=other_business)
    body = _error(api_client.get(reverse("api-consent-proof"), {"contact": str(foreign.uuid)}), 404)
    assert body["code"] == "not_found"


def test_form_campaigns_change_and_foreign_campaign_is_404(api_client, business, other_business):
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business)
    campaign = CampaignFactory(business=business)
    url = reverse("api-optin-form", kwargs={"form_uuid": form.uuid})
    response = api_client.patch(url, {"campaigns": [str(campaign.uuid)]}, format="json")
    assert response.status_code == 200, response.content
    assert list(form.campaigns.all()) == [campaign]
    foreign = CampaignFactory(business=other_business)
    _error(api_client.patch(url, {"campaigns": [str(foreign.uuid)]}, format="json"), 404)
    assert list(form.campaigns.all()) == [campaign]


def test_import_upload_multipart_and_bad_base64(api_client, business):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from consent.models import ContactImport

    upload = SimpleUploadedFile("list.csv", b"phone,name\n3125550330,Ann\n", "text/csv")
    response = api_client.post(reverse("api-imports"), {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["headers"] == ["phone", "name"]
    body = _error(
        api_client.post(
            reverse("api-imports"), {"filename": "a.csv", "content_base64": "%%%"}, format="json"
        ),
        400,
    )
    assert body["fields"] == {"content_base64": ["Not base64."]}
    body = _error(api_client.post(reverse("api-imports"), ["a.csv"], format="json"), 400)
    assert body["message"] == "Send a JSON object with filename and content_base64."
    assert ContactImport.objects.filter(business=business).count() == 1


def test_a_malformed_contact_id_is_a_400_in_the_error_shape(api_client, business):
    body = _error(api_client.get(reverse("api-consent-proof"), {"contact": "not-a-uuid"}), 400)
    assert body["fields"] == {"contact": ["Not a valid UUID."]}
    body = _error(api_client.get(reverse("api-consent-proof"), {"campaign": "x"}), 400)
    assert body["fields"] == {"campaign": ["Not a valid UUID."]}


def test_an_overlong_email_is_a_400_naming_it(api_client, business):
    created = api_client.post(
        reverse("api-contacts"), {"phone": "(312) 555-0345", "email": LONG_EMAIL}, format="json"
    )
    assert created.status_code == 400 and "email" in created.json()["error"]["fields"]
    assert not Contact.objects.filter(business=business).exists()
    contact = ContactFactory(business=business, phone="+13125550346", email="a@example.com")
    patched = api_client.patch(
        reverse("api-contact", kwargs={"contact_uuid": contact.uuid}),
        {"email": LONG_EMAIL},
        format="json",
    )
    assert patched.status_code == 400 and "email" in patched.json()["error"]["fields"]
    contact.refresh_from_db()
    assert contact.email == "a@example.com"
