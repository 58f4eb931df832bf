"""Issue 16 path 3: marketing consent needs written evidence, said at entry time.

Tried as a sender who wants marketing consent without written proof would: through the API,
the portal and the CSV import. Each refuses with a reason (an error in the one shape, a
field error, a rejected row with its line), nothing lands in the ledger, and a marketing
text to the person is blocked and never reaches the simulated carrier.
"""

import base64
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent import services, subject, written
from consent.errors import WrittenConsentRequired
from consent.models import ConsentEvent, ConsentState, SignedRecord
from messaging import dispatch
from messaging.models import Message
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import DISCLOSURE, ContactFactory
from tests.factories.messaging import sending_number

pytestmark = pytest.mark.django_db
SCRIPT = "Bright Smile: may we text you offers and reminders? Up to 4/month. Rates apply."
PDF = b"%PDF-1.4 signed consent form of Ann Lee, 3 May, signature on page 1\n%%EOF"


def _consent_url(contact):
    return f"/api/v1/contacts/{contact.uuid}/consent/"


def _error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert body["code"] == code, body
    return body


@pytest.fixture
def number(business):
    number = sending_number(business=business)
    assert number.campaign.is_marketing  # the factory's campaign is MIXED with marketing
    return number


@pytest.fixture
def carrier_provider(carrier, monkeypatch, settings):
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


# --- the pure rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "evidence", "is_written"),
    [
        ("VERBAL_SCRIPT", {"disclosure_text": SCRIPT, "source": "phone"}, False),
        ("PORTAL", {"disclosure_text": "paper form", "source": "front desk"}, False),
        ("API", {"disclosure_text": DISCLOSURE, "source": "crm"}, False),
        ("API", {"disclosure_text": DISCLOSURE, "page_url": "https://x.example/j"}, False),
        ("API", {"disclosure_text": DISCLOSURE, "page_url": "https://x.example/j",
                 "ip": "1.2.3.4"}, True),
        ("WEB_FORM", {"page_url": "https://x.example/j", "ip": "1.2.3.4"}, False),
        ("WEB_FORM", {"form": object(), "form_snapshot_sha256": "a" * 64}, True),
        ("KEYWORD", {"source": "JOIN"}, False),
        ("KEYWORD", {"data": {"inbound_message": "9f1c"}}, True),
        ("SIGNED_RECORD", {"data": {}}, False),
        ("SIGNED_RECORD", {"data": {"signed_record_sha256": "b" * 64}}, True),
        ("DOUBLE_OPT_IN_REPLY", {}, True),
        ("IMPORT_ATTESTED", {"data": {"consent_method": "VERBAL"}}, False),
        ("IMPORT_ATTESTED", {"data": {"consent_method": "IN_PERSON"}}, False),
        ("IMPORT_ATTESTED", {"data": {"consent_method": "PAPER_FORM"}}, True),
        ("REPLY_TO_INBOUND", {}, False),
    ],
)  # fmt: skip
def test_which_evidence_is_written(method, evidence, is_written):
    problem = written.written_problem(method, evidence)
    assert (problem is None) == is_written, problem
    if problem:
        assert "written" in problem or "file" in problem


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "evidence"),
    [
        ("VERBAL_SCRIPT", {"disclosure_text": SCRIPT, "source": "phone call"}),
        ("API", {"source": "our CRM says yes"}),
        ("WEB_FORM", {"source": "website", "disclosure_text": DISCLOSURE}),
    ],
)
def test_api_refuses_marketing_consent_without_written_evidence(
    api_client, business, number, carrier_provider, method, evidence
):
    contact = ContactFactory(business=business)
    response = api_client.post(
        _consent_url(contact),
        {
            "action": "opt_in",
            "method": method,
            "campaign": str(number.campaign.uuid),
            "double_opt_in": False,
            "evidence": evidence,
        },
        format="json",
    )
    error = _error(response, 400, "written_consent_required")
    assert "written consent" in error["message"] and error["fields"]["method"]
    assert not ConsentEvent.objects.filter(contact=contact).exists()

    # the sender tries to text an offer anyway: blocked, and nothing reaches the carrier
    sent = api_client.post(
        "/api/v1/messages/",
        {"to": contact.phone_e164, "kind": "marketing", "body": "Bright Smile: 20% off whitening."},
        format="json",
    )
    assert sent.status_code in (201, 400), sent.content
    dispatch.drain_number(number.pk)
    assert not Message.objects.filter(contact=contact, status__in=["SENT", "DELIVERED"]).exists()
    assert [e for e in carrier_provider.audit() if e["to"] == contact.phone_e164] == []


def test_api_keyword_method_is_not_offered(api_client, business, number):
    contact = ContactFactory(business=business)
    response = api_client.post(
        _consent_url(contact),
        {
            "action": "opt_in",
            "method": "KEYWORD",
            "campaign": str(number.campaign.uuid),
            "double_opt_in": False,
            "evidence": {"source": "JOIN", "data": {"inbound_message": "made-up"}},
        },
        format="json",
    )
    assert response.status_code == 400
    assert "method" in response.json()["error"]["fields"]
    assert not ConsentEvent.objects.filter(contact=contact).exists()


def test_api_verbal_consent_is_fine_for_informational_and_by_double_opt_in(
    api_client, business, number
):
    contact = ContactFactory(business=business)
    base = {"action": "opt_in", "method": "VERBAL_SCRIPT", "evidence": {"disclosure_text": SCRIPT}}
    info = api_client.post(
        _consent_url(contact),
        {**base, "kind": "informational", "double_opt_in": False},
        format="json",
    )
    assert info.status_code == 201, info.content
    assert info.json()["kind"] == "OPT_IN_CONFIRMED"
    # for marketing, the person's YES to the double opt-in text is the written consent
    pending = api_client.post(
        _consent_url(contact),
        {**base, "campaign": str(number.campaign.uuid), "double_opt_in": True},
        format="json",
    )
    assert pending.status_code == 201 and pending.json()["kind"] == "OPT_IN"
    state = ConsentState.objects.get(contact=contact, campaign=number.campaign)
    assert state.status == ConsentState.Status.PENDING


def test_api_web_form_record_and_signed_record_are_written(api_client, business, number):
    contact = ContactFactory(business=business)
    campaign = str(number.campaign.uuid)
    record = {
        "action": "opt_in",
        "method": "API",
        "campaign": campaign,
        "double_opt_in": False,
        "evidence": {
            "disclosure_text": DISCLOSURE,
            "page_url": "https://brightsmile.example/texts",
            "ip": "198.51.100.23",
            "user_agent": "Mozilla/5.0",
        },
    }
    response = api_client.post(_consent_url(contact), record, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "OPT_IN_CONFIRMED"

    other = ContactFactory(business=business)
    missing = api_client.post(
        _consent_url(other),
        {"action": "opt_in", "method": "SIGNED_RECORD", "campaign": campaign},
        format="json",
    )
    assert _error(missing, 400, "invalid")["fields"]["signed_record"]
    signed = api_client.post(
        _consent_url(other),
        {
            "action": "opt_in",
            "method": "SIGNED_RECORD",
            "campaign": campaign,
            "evidence": {"disclosure_text": DISCLOSURE},
            "signed_record": {
                "filename": "ann-lee.pdf",
                "content_type": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            },
        },
        format="json",
    )
    assert signed.status_code == 201, signed.content
    digest = hashlib.sha256(PDF).hexdigest()
    stored = SignedRecord.objects.get(contact=other)
    assert stored.sha256 == digest and bytes(stored.content) == PDF
    event = ConsentEvent.objects.get(contact=other)
    assert event.method == "SIGNED_RECORD" and event.kind == "OPT_IN_CONFIRMED"
    assert digest in event.source  # chained: the ledger names the document

    # a made-up hash for a file we never stored is not a signed record
    with pytest.raises(WrittenConsentRequired):
        services.consent_record_opt_in(
            business=business,
            contact=ContactFactory(business=business),
            method="SIGNED_RECORD",
            campaign=number.campaign,
            evidence={"disclosure_text": DISCLOSURE, "data": {"signed_record_sha256": digest}},
            double_opt_in=False,
        )


def test_erasure_blanks_the_signed_file_and_keeps_its_hash(business, number):
    contact = ContactFactory(business=business)
    event = services.consent_record_signed(
        business=business,
        contact=contact,
        campaign=number.campaign,
        filename="paper.png",
        content=b"\x89PNG scanned form",
        content_type="image/png",
        disclosure_text=DISCLOSURE,
    )
    exported = subject.export_bundle(business=business, contact=contact)["signed_records"]
    assert [r["filename"] for r in exported] == ["paper.png"]
    services.contact_erase(business=business, contact=contact)
    record = SignedRecord.objects.get(contact=contact)
    assert bytes(record.content) == b"" and record.erased_at is not None
    assert record.sha256 in ConsentEvent.objects.get(pk=event.pk).source


# --- the portal ---------------------------------------------------------------------------------


def test_portal_says_verbal_consent_is_not_enough_for_marketing(owner_client, business, number):
    contact = ContactFactory(business=business)
    url = reverse("consent:contact-consent", args=[contact.uuid])
    for method in ("VERBAL_SCRIPT", "PORTAL", "WEB_FORM"):
        response = owner_client.post(
            url,
            {
                "method": method,
                "campaign": str(number.campaign.uuid),
                "disclosure_text": SCRIPT,
                "page_url": "https://brightsmile.example/texts",
                "source": "front desk",
            },
        )
        assert response.status_code == 400, method
        errors = response.context["consent_form"].errors["method"]
        assert any("written consent" in e for e in errors), errors
        assert "written consent" in response.content.decode()
    assert not ConsentEvent.objects.filter(contact=contact).exists()


def test_portal_signed_record_upload_is_written_consent(owner_client, business, number):
    contact = ContactFactory(business=business)
    url = reverse("consent:contact-consent", args=[contact.uuid])
    data = {
        "method": "SIGNED_RECORD",
        "campaign": str(number.campaign.uuid),
        "disclosure_text": DISCLOSURE,
        "source": "paper form at the front desk",
    }
    no_file = owner_client.post(url, data)
    assert no_file.status_code == 400
    assert no_file.context["consent_form"].errors["signed_record"]
    upload = SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf")
    response = owner_client.post(url, {**data, "signed_record": upload})
    assert response.status_code == 302
    event = ConsentEvent.objects.get(contact=contact)
    assert event.method == "SIGNED_RECORD" and event.kind == "OPT_IN_CONFIRMED"
    assert hashlib.sha256(PDF).hexdigest() in event.source
    page = owner_client.get(reverse("consent:contact", args=[contact.uuid])).content.decode()
    assert 'enctype="multipart/form-data"' in page


# --- the CSV import -----------------------------------------------------------------------------


def test_import_rejects_verbal_rows_of_a_marketing_list_with_their_line(
    api_client, business, number
):
    csv = (
        b"Phone,Consent date,Consent source,Consent method\n"
        b"+12025550101,2026-05-01,website,web form\n"
        b"+12025550102,2026-05-01,phone call,verbal\n"
        b"+12025550103,2026-05-01,front desk,in person\n"
        b"+12025550104,2026-05-01,paper form,paper form\n"
    )
    created = api_client.post(
        "/api/v1/imports/",
        {"filename": "list.csv", "content_base64": base64.b64encode(csv).decode()},
        format="json",
    )
    assert created.status_code == 201, created.content
    mapping = {
        "phone": "Phone",
        "consent_date": "Consent date",
        "consent_source": "Consent source",
        "consent_method": "Consent method",
    }
    started = api_client.post(
        f"/api/v1/imports/{created.json()['uuid']}/start/",
        {"mapping": mapping, "campaign": str(number.campaign.uuid), "attest": True},
        format="json",
    )
    assert started.status_code == 200, started.content
    report = started.json()["report"]
    rejected = {r["line"]: r["reason"] for r in report}
    assert set(rejected) == {3, 4}, report
    assert "VERBAL is not written consent" in rejected[3]
    assert "IN_PERSON is not written consent" in rejected[4]
    consented = ConsentEvent.objects.filter(business=business, campaign=number.campaign)
    assert sorted(e.contact.phone_e164 for e in consented) == ["+12025550101", "+12025550104"]


def test_import_of_an_informational_list_keeps_verbal_rows(business, owner):
    campaign = CampaignFactory(business=business, usecase="ACCOUNT_NOTIFICATION", sub_usecases=[])
    assert not campaign.is_marketing
    csv = (
        b"Phone,Consent date,Consent source,Consent method\n"
        b"+12025550111,2026-05-01,phone call,verbal\n"
    )
    imp = services.contact_import_create(
        business=business, filename="l.csv", content=csv, actor=owner.user
    )
    imp = services.contact_import_start(
        business=business,
        imp=imp,
        mapping={
            "phone": "Phone",
            "consent_date": "Consent date",
            "consent_source": "Consent source",
            "consent_method": "Consent method",
        },
        campaign=campaign,
        attest=True,
        actor=owner.user,
    )
    assert imp.rejected_count == 0 and imp.consented_count == 1
