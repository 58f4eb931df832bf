"""Portal pages: contacts list (no N+1), timeline, recording consent, proof, erasure,
form builder, the public form's framing and anti-forgery, imports with report."""

import json

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from consent import services
from consent.models import ConsentEvent, Contact, ContactImport, Method, OptInForm
from tests.factories.accounts import LONG_EMAIL
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, OptInFormFactory, opted_in_contact

pytestmark = pytest.mark.django_db


def test_contacts_list_filters_and_constant_queries(owner_client, business):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def consent_queries():
        # other apps' context processors add their own queries; count the page's own
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(url)
        assert response.status_code == 200
        return response, [q for q in captured.captured_queries if "consent_" in q["sql"]]

    for i in range(3):
        opted_in_contact(business=business, kind="marketing", name=f"Opted {i}", tags=["vip"])
    ContactFactory(business=business, name="Nobody Consented")
    ContactFactory()  # another business's
    url = reverse("consent:contacts")
    response, few = consent_queries()
    assert response.content.count(b"Opted in") >= 3
    for i in range(10):
        opted_in_contact(business=business, kind="marketing", name=f"More {i}")
    response, many = consent_queries()
    assert len(few) == len(many) <= 4, [q["sql"][:80] for q in many]
    assert response.content.count(b"Opted in") >= 13
    response = owner_client.get(url, {"status": "none"})
    assert b"Nobody Consented" in response.content and b"Opted 0" not in response.content
    response = owner_client.get(url, {"q": "opted 1"})
    assert b"Opted 1" in response.content and b"Nobody" not in response.content


def test_contact_page_timeline_record_and_opt_out(owner_client, business):
    campaign = CampaignFactory(business=business)
    contact = ContactFactory(business=business)
    url = reverse("consent:contact", kwargs={"contact_uuid": contact.uuid})
    response = owner_client.post(
        reverse("consent:contact-consent", kwargs={"contact_uuid": contact.uuid}),
        {"method": "VERBAL_SCRIPT", "campaign": str(campaign.uuid), "disclosure_text": ""},
    )
    assert response.status_code == 400 and b"errorlist" in response.content
    script = {
        "method": "VERBAL_SCRIPT",
        "disclosure_text": "Script: Bright Smile texts reminders, 4/month, rates apply...",
        "source": "phone call",
    }
    # the factory's campaign is MIXED with marketing: verbal consent is not written
    response = owner_client.post(
        reverse("consent:contact-consent", kwargs={"contact_uuid": contact.uuid}),
        {**script, "campaign": str(campaign.uuid)},
    )
    assert response.status_code == 400
    assert "written consent" in str(response.context["consent_form"].errors["method"])
    response = owner_client.post(
        reverse("consent:contact-consent", kwargs={"contact_uuid": contact.uuid}),
        {**script, "kind": "informational"},
    )
    assert response.status_code == 302
    event = ConsentEvent.objects.get(contact=contact)
    assert (
        event.method == "VERBAL_SCRIPT"
        and event.recorded_by_id == business.memberships.get(role="owner").user_id
    )
    assert event.kind == "OPT_IN_CONFIRMED"
    owner_client.post(
        reverse("consent:contact-opt-out", kwargs={"contact_uuid": contact.uuid}),
        {"campaign": "", "note": "asked by phone"},
    )
    page = owner_client.get(url).content.decode()
    assert "Opt-out" in page and "suppression list" in page
    assert AuditEvent.objects.filter(action="consent.opt_out_record").exists()


def test_correct_a_contact_from_its_page_with_errors_next_to_the_field(owner_client, business):
    contact = ContactFactory(business=business, phone="+13125550344", name="Ann")
    url = reverse("consent:contact", kwargs={"contact_uuid": contact.uuid})
    bad = owner_client.post(
        url, {"name": "Ann Lee", "email": "", "time_zone": "Central Time", "tags": "vip"}
    )
    assert bad.status_code == 400
    page = bad.content.decode()
    # the error sits with the time-zone field, and what was typed is kept
    field = page[page.index('name="time_zone"') - 600 : page.index('name="time_zone"') + 400]
    assert "Not a time zone" in field
    assert 'value="Ann Lee"' in page
    contact.refresh_from_db()
    assert contact.name == "Ann"
    good = owner_client.post(
        url,
        {"name": "Ann Lee", "email": "ann@example.com", "time_zone": "", "tags": "vip, spring"},
    )
    assert good.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.tags) == (
        "Ann Lee",
        "ann@example.com",
        ["spring", "vip"],
    )
    assert contact.time_zone == "America/Chicago"  # emptied: derived from the number
    assert AuditEvent.objects.filter(action="consent.contact_update", business=business).exists()


def test_proof_exports_and_formula_injection(owner_client, business):
    contact = opted_in_contact(business=business, kind="marketing", name="=cmd|'/c calc'!A1")
    url = reverse("consent:contact-proof", kwargs={"contact_uuid": contact.uuid})
    html = owner_client.get(url).content.decode()
    assert "Disclosure shown" in html and contact.phone_e164 in html
    csv_text = owner_client.get(url, {"format": "csv"}).content.decode()
    assert "'=cmd" in csv_text and contact.phone_e164 in csv_text
    data = json.loads(owner_client.get(url, {"format": "json"}).content)
    assert data[0]["kind"] == "OPT_IN_CONFIRMED"
    export = owner_client.get(reverse("consent:contacts-export")).content.decode()
    assert "'=cmd" in export and f"\n{contact.phone_e164}," in export
    proof = owner_client.get(reverse("consent:proof"), {"campaign": "", "format": "html"})
    assert proof.status_code == 200 and b"Consent evidence" in proof.content


def test_export_and_erase_from_portal(owner_client, business):
    contact = opted_in_contact(business=business, kind="marketing", phone="+13125550170")
    data = json.loads(
        owner_client.get(
            reverse("consent:contact-export", kwargs={"contact_uuid": contact.uuid})
        ).content
    )
    assert data["contact"]["phone"] == "+13125550170" and data["consent_events"]
    assert "messages" in data
    response = owner_client.post(
        reverse("consent:contact-erase", kwargs={"contact_uuid": contact.uuid})
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.erased_at and contact.phone is None
    assert services.phone_hash(business=business, e164="+13125550170")
    from consent.selectors import is_suppressed

    assert is_suppressed(business=business, phone="+13125550170")
    assert AuditEvent.objects.filter(action="consent.contact_erase").exists()
    assert AuditEvent.objects.filter(action="consent.contact_export").exists()


def test_form_builder_create_edit_preview_and_snippets(owner_client, business):
    campaign = CampaignFactory(business=business)
    response = owner_client.post(
        reverse("consent:form-create"),
        {
            "name": "Site",
            "headline": "Texts",
            "campaigns": [str(campaign.uuid)],
            "scope_kind": "marketing",
            "program_name": "Smile Alerts",
            "message_description": "reminders",
            "frequency": "2 msgs/month",
            "terms_url": "https://brightsmile.example/terms",
            "privacy_url": "https://brightsmile.example/privacy",
            "allowed_origins": "https://brightsmile.example/\nnot an origin",
            "double_opt_in": "on",
            "success_message": "Thanks",
            "is_active": "on",
        },
    )
    assert response.status_code == 400 and b"not an origin" in response.content
    data = {
        "name": "Site",
        "headline": "Texts",
        "campaigns": [str(campaign.uuid)],
        "scope_kind": "marketing",
        "program_name": "Smile Alerts",
        "message_description": "reminders",
        "frequency": "2 msgs/month",
        "terms_url": "https://brightsmile.example/terms",
        "privacy_url": "https://brightsmile.example/privacy",
        "allowed_origins": "https://BrightSmile.example/",
        "double_opt_in": "on",
        "success_message": "Thanks",
        "is_active": "on",
    }
    response = owner_client.post(reverse("consent:form-create"), data)
    assert response.status_code == 302
    form = OptInForm.objects.get(business=business)
    assert form.allowed_origins == ["https://brightsmile.example"]
    page = owner_client.get(reverse("consent:form", kwargs={"form_uuid": form.uuid}))
    html = page.content.decode()
    assert "data-form-preview" in html and "Msg &amp; data rates may apply" in html
    assert f"data-cyc-optin=&quot;{form.uuid}&quot;" in html and "&lt;iframe" in html
    assert 'name="consent" type="checkbox" value="1">' in html  # never pre-checked
    owner_client.post(
        reverse("consent:form", kwargs={"form_uuid": form.uuid}), {**data, "frequency": "1/mo"}
    )
    form.refresh_from_db()
    assert form.version == 2 and form.frequency == "1/mo"


def test_public_form_framing_policy_and_referer_check(client, business):
    form = OptInFormFactory(business=business, allowed_origins=["https://brightsmile.example"])
    url = reverse("consent:public-form", kwargs={"form_uuid": form.uuid})
    response = client.get(url, HTTP_REFERER="https://brightsmile.example/join")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://brightsmile.example" in csp
    assert "X-Frame-Options" not in response
    body = response.content.decode()
    assert 'name="token"' in body and 'name="website"' in body
    refused = client.get(url, HTTP_REFERER="https://evil.example/page")
    assert refused.status_code == 403


def _token(client, form):
    import re

    html = client.get(
        reverse("consent:public-form", kwargs={"form_uuid": form.uuid})
    ).content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_public_submit_anti_forgery_honeypot_and_rate_limits(client, business, settings):
    form = OptInFormFactory(business=business, allowed_origins=["https://brightsmile.example"])
    submit = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    good = {"phone": "3125550181", "consent": "1", "age_confirmed": "1"}
    own = "http://testserver"
    # no origin at all, a stranger's origin, our origin without a token: refused
    assert client.post(submit, good).status_code == 403
    assert client.post(submit, good, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert client.post(submit, good, HTTP_ORIGIN=own).status_code == 403
    # a bad token
    assert client.post(submit, {**good, "token": "x"}, HTTP_ORIGIN=own).status_code == 403
    token = _token(client, form)
    response = client.post(submit, {**good, "token": token}, HTTP_ORIGIN=own)
    assert response.status_code == 200 and b"reply YES" in response.content
    # replaying the same token is refused
    assert client.post(submit, {**good, "token": token}, HTTP_ORIGIN=own).status_code == 403
    # the plain HTML form on the allowed site needs no token
    response = client.post(
        submit, {**good, "phone": "3125550182"}, HTTP_ORIGIN="https://brightsmile.example"
    )
    assert response.status_code == 200
    # honeypot: looks fine, records nothing
    response = client.post(
        submit,
        {**good, "phone": "3125550183", "website": "spam"},
        HTTP_ORIGIN="https://brightsmile.example",
    )
    assert response.status_code == 200
    assert not Contact.objects.filter(phone="+13125550183").exists()
    # per-phone limit
    settings.CONSENT_FORM_RATE_PER_PHONE = "1/3600"
    origin = {"HTTP_ORIGIN": "https://brightsmile.example"}
    client.post(submit, {**good, "phone": "3125550184"}, **origin)
    assert client.post(submit, {**good, "phone": "3125550184"}, **origin).status_code == 429
    # per-IP limit, and JSON errors in the one shape with CORS for the allowed origin
    settings.CONSENT_FORM_RATE_PER_IP = "0/600"
    response = client.post(
        submit,
        json.dumps({**good, "phone": "3125550185", "token": _token(client, form)}),
        content_type="application/json",
        **origin,
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert response["Access-Control-Allow-Origin"] == "https://brightsmile.example"


def test_public_submit_field_errors_and_no_downgrade(client, business):
    form = OptInFormFactory(business=business, allowed_origins=["https://brightsmile.example"])
    submit = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    origin = {"HTTP_ORIGIN": "https://brightsmile.example"}
    response = client.post(submit, {"phone": "12", "consent": "1"}, **origin)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid mobile number" in html and "13 or older" in html
    # a confirmed consent is neither downgraded nor duplicated by a new submission
    contact = opted_in_contact(business=business, kind="marketing", phone="+13125550190")
    before = ConsentEvent.objects.filter(contact=contact).count()
    response = client.post(
        submit, {"phone": "+1 312 555 0190", "consent": "1", "age_confirmed": "1"}, **origin
    )
    assert response.status_code == 200 and b"You are subscribed" in response.content
    assert ConsentEvent.objects.filter(contact=contact).count() == before


def test_import_through_the_portal_with_report(owner_client, business):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = (
        b"Phone,Name,Consent date,Consent source,Consent method\n"
        b"3125550201,Ann,2026-01-10,Front desk,paper_form\n"
        b"bad,Bob,2026-01-10,Front desk,paper_form\n"
    )
    response = owner_client.post(
        reverse("consent:import-create"),
        {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    assert "Map the columns" in page and "not bought, rented" in page
    data = {
        "map_phone": "Phone",
        "map_name": "Name",
        "map_consent_date": "Consent date",
        "map_consent_source": "Consent source",
        "map_consent_method": "Consent method",
        "scope_kind": "marketing",
    }
    refused = owner_client.post(response["Location"], data)
    assert refused.status_code == 400  # no attestation
    done = owner_client.post(response["Location"], {**data, "attest": "on"})
    assert done.status_code == 302
    page = owner_client.get(done["Location"]).content.decode()
    assert "Rows not imported" in page and "invalid phone number" in page
    imp_uuid = done["Location"].rstrip("/").split("/")[-1]
    report = owner_client.get(
        reverse("consent:import-report", kwargs={"import_uuid": imp_uuid})
    ).content.decode()
    assert report.startswith("line,reason") and "\n3," in report
    progress = owner_client.get(
        reverse("consent:import-progress", kwargs={"import_uuid": imp_uuid})
    ).json()
    assert progress["status"] == "DONE"
    assert Contact.objects.filter(business=business, phone="+13125550201").exists()
    _ = Method


def test_public_submit_without_the_box_ticked_or_with_a_bad_email_writes_nothing(client, business):
    form = OptInFormFactory(
        business=business, allowed_origins=["https://brightsmile.example"], collect_email=True
    )
    submit = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    response = client.post(
        submit,
        {"phone": "+1 312 555 0191", "email": "ann at example", "age_confirmed": "1"},
        HTTP_ORIGIN="https://brightsmile.example",
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Tick the box to agree" in html and "Enter a valid email address" in html
    assert not Contact.objects.filter(business=business).exists()
    assert not ConsentEvent.objects.filter(business=business).exists()


def test_public_submit_fills_in_a_known_contact_name_and_email_only_when_blank(client, business):
    form = OptInFormFactory(
        business=business, allowed_origins=["https://brightsmile.example"], collect_email=True
    )
    submit = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    blank = ContactFactory(business=business, phone="+13125550192", name="", email="")
    named = ContactFactory(business=business, phone="+13125550193", name="Ann", email="a@x.com")
    for phone in ("+1 312 555 0192", "+1 312 555 0193"):
        response = client.post(
            submit,
            {
                "phone": phone,
                "name": "Someone Else",
                "email": "else@example.com",
                "consent": "1",
                "age_confirmed": "1",
            },
            HTTP_ORIGIN="https://brightsmile.example",
        )
        assert response.status_code == 200
    blank.refresh_from_db()
    named.refresh_from_db()
    assert (blank.name, blank.email) == ("Someone Else", "else@example.com")
    assert (named.name, named.email) == ("Ann", "a@x.com")


# --- error paths: a field error or a message, nothing written, never a 500 ------------------


def _message(response) -> str:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_add_a_contact_with_errors_next_to_the_phone(owner_client, business):
    url = reverse("consent:contact-create")
    assert b'name="phone"' in owner_client.get(url).content
    response = owner_client.post(url, {"phone": "12", "name": "Ann"})
    assert response.status_code == 400 and response.context["form"].errors["phone"]
    assert not Contact.objects.filter(business=business).exists()

    response = owner_client.post(url, {"phone": "3125550111", "name": "Ann", "tags": "vip, spring"})
    contact = Contact.objects.get(business=business)
    assert response["Location"] == reverse("consent:contact", args=[contact.uuid])
    assert contact.name == "Ann" and contact.tags == ["spring", "vip"]

    response = owner_client.post(url, {"phone": "+13125550111", "name": "Other"})
    assert response.status_code == 400
    assert response.context["form"].errors["phone"] == [
        "A contact with this phone number already exists."
    ]
    assert Contact.objects.filter(business=business).count() == 1


def test_record_consent_needs_a_scope_and_is_not_recorded_twice(owner_client, business):
    contact = ContactFactory(business=business)
    url = reverse("consent:contact-consent", args=[contact.uuid])
    assert owner_client.get(url)["Location"] == reverse("consent:contact", args=[contact.uuid])
    data = {"method": "PORTAL", "disclosure_text": "Paper form: reminders, 4/month, STOP."}
    response = owner_client.post(url, {**data, "campaign": "", "kind": ""})
    assert response.status_code == 400
    assert response.context["consent_form"].errors["campaign"] == ["Choose a campaign or a kind."]
    assert not ConsentEvent.objects.filter(contact=contact).exists()

    response = owner_client.post(url, {**data, "kind": "informational"})
    assert _message(response) == "Consent recorded."
    response = owner_client.post(url, {**data, "kind": "informational"})
    assert _message(response) == "This consent was already recorded; nothing changed."
    assert ConsentEvent.objects.filter(contact=contact).count() == 1


def test_record_consent_with_double_opt_in_texts_reply_yes(owner_client, business):
    from messaging.models import Message
    from tests.factories.campaigns import PhoneNumberFactory

    number = PhoneNumberFactory(business=business)
    contact = ContactFactory(business=business)
    response = owner_client.post(
        reverse("consent:contact-consent", args=[contact.uuid]),
        {
            "method": "PORTAL",
            "campaign": str(number.campaign.uuid),
            "disclosure_text": "Paper form: reminders, 4/month, STOP.",
            "double_opt_in": "on",
        },
    )
    assert _message(response) == 'Recorded; "Reply YES to confirm" was texted.'
    assert ConsentEvent.objects.get(contact=contact).kind == "OPT_IN"
    (text,) = Message.objects.filter(business=business, contact=contact)
    assert "YES" in text.body and text.from_number_id == number.pk


def test_an_erased_contact_refuses_consent_and_opt_out(owner_client, business):
    contact = ContactFactory(business=business)
    owner_client.post(reverse("consent:contact-erase", args=[contact.uuid]))
    response = owner_client.post(
        reverse("consent:contact-consent", args=[contact.uuid]),
        {"method": "PORTAL", "kind": "marketing", "disclosure_text": "Paper form."},
    )
    assert response.status_code == 400
    assert response.context["consent_form"].non_field_errors() == ["This contact was erased."]
    response = owner_client.post(reverse("consent:contact-opt-out", args=[contact.uuid]), {})
    assert _message(response) == "This contact was erased."
    assert not ConsentEvent.objects.filter(contact=contact).exists()


def test_proof_for_a_date_range(owner_client, business):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    opted_in_contact(business=business, kind="marketing", name="Inside")
    # the portal reads dates in the business's zone (near midnight UTC that is another day)
    today = timezone.localdate(timezone=ZoneInfo(business.time_zone))
    url = reverse("consent:proof")
    response = owner_client.get(url, {"since": today.isoformat(), "until": today.isoformat()})
    assert response.status_code == 200 and b"Inside" in response.content
    tomorrow = (today + timedelta(days=1)).isoformat()
    response = owner_client.get(url, {"since": tomorrow})
    assert response.status_code == 200 and b"Inside" not in response.content


def test_subject_lookup_finds_a_contact_and_the_suppression(owner_client, business):
    contact = opted_in_contact(business=business, kind="marketing", phone="+13125550180")
    url = reverse("consent:subject")
    response = owner_client.get(url, {"phone": "(312) 555-0180"})
    assert response.context["contact"] == contact and response.context["suppressed"] is False
    response = owner_client.get(url, {"phone": "+13125550181"})
    assert response.context["searched"] and response.context["contact"] is None


def test_form_builder_edit_with_a_bad_origin_keeps_the_saved_form(owner_client, business):
    optin = OptInFormFactory(business=business, name="Front desk", disclosure_extra="Age 18+.")
    page = owner_client.get(reverse("consent:form", args=[optin.uuid])).content.decode()
    assert "Consent is not a condition of purchase. Terms:" in page and "Age 18+." in page
    data = {
        "name": "Changed",
        "headline": "Texts",
        "scope_kind": "marketing",
        "program_name": "Smile Alerts",
        "message_description": "reminders",
        "frequency": "2 msgs/month",
        "terms_url": "https://brightsmile.example/terms",
        "privacy_url": "https://brightsmile.example/privacy",
        "allowed_origins": "https://brightsmile.example/path",
        "success_message": "Thanks",
        "is_active": "on",
    }
    response = owner_client.post(reverse("consent:form", args=[optin.uuid]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "give only the origin (scheme, host and port), no path" in html
    assert 'value="Changed"' in html  # the input is kept
    optin.refresh_from_db()
    assert optin.name == "Front desk"


def test_upload_errors_are_next_to_the_file(owner_client, business):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("consent:import-create")
    assert b'name="file"' in owner_client.get(url).content
    response = owner_client.post(url, {})
    assert response.status_code == 400 and response.context["form"].errors["file"]
    response = owner_client.post(
        url, {"file": SimpleUploadedFile("list.csv", b"\x00\x01\x02", content_type="text/csv")}
    )
    assert response.status_code == 400 and response.context["form"].errors["file"]
    assert not ContactImport.objects.filter(business=business).exists()


def test_import_mapping_without_a_scope_is_refused(owner_client, business):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"Phone,Name\n3125550201,Ann\n"
    owner_client.post(
        reverse("consent:import-create"),
        {"file": SimpleUploadedFile("list.csv", content, content_type="text/csv")},
    )
    imp = ContactImport.objects.get(business=business)
    url = reverse("consent:import", args=[imp.uuid])
    # one of the two is needed: neither is labelled "(optional)" (both were, and the page
    # then refused the import for lack of them); other unrequired fields still are
    page = owner_client.get(url).content.decode()
    assert '<label for="id_campaign">Campaign</label>' in page
    assert '<label for="id_scope_kind">Or a kind of message</label>' in page
    assert "one of the two" in page
    assert 'Tags to add <span class="muted">(optional)</span>' in page
    response = owner_client.post(
        url, {"map_phone": "Phone", "campaign": "", "scope_kind": "", "attest": "on"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["scope_kind"] == [
        "Choose a campaign or a message kind for the consents."
    ]
    imp.refresh_from_db()
    assert imp.status == "UPLOADED" and not Contact.objects.filter(business=business).exists()


def test_public_submit_with_an_overlong_email_is_a_field_error_not_a_500(client, business):
    form = OptInFormFactory(
        business=business, allowed_origins=["https://brightsmile.example"], collect_email=True
    )
    submit = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    response = client.post(
        submit,
        {"phone": "+1 312 555 0191", "email": LONG_EMAIL, "consent": "1", "age_confirmed": "1"},
        HTTP_ORIGIN="https://brightsmile.example",
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    assert not Contact.objects.filter(business=business).exists()
    assert not ConsentEvent.objects.filter(business=business).exists()


def test_contact_form_with_an_overlong_email_is_a_field_error(owner_client, business):
    response = owner_client.post(
        reverse("consent:contact-create"), {"phone": "+1 312 555 0192", "email": LONG_EMAIL}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_email_error"' in page
    assert not Contact.objects.filter(business=business).exists()


def test_the_language_choice_offers_english_once(owner_client):
    """It offered "English (default)" and "English": the empty choice says it is unset."""
    page = owner_client.get(reverse("consent:contact-create")).content.decode()
    assert '<option value="" selected>Not set: English</option>' in page
    assert page.count(">English</option>") == 1 and "English (default)" not in page
