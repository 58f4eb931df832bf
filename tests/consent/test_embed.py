"""The public opt-in form as strangers hit it: the embed script's JSON flow with CORS, and
every malformed or hostile request answered with a clear 4xx, nothing written."""

import json
import re

import pytest
from django.core import signing
from django.urls import reverse

from consent.models import ConsentEvent, Contact, EventKind, FormSnapshot
from messaging.models import Message
from tests.consent.conftest import wait_for
from tests.factories.consent import OptInFormFactory

pytestmark = pytest.mark.django_db

SITE = "https://brightsmile.example"
GOOD = {"phone": "3125550181", "consent": "1", "age_confirmed": "1"}


@pytest.fixture
def form(business):
    return OptInFormFactory(business=business, allowed_origins=[SITE])


def _urls(form):
    kw = {"form_uuid": form.uuid}
    return (
        reverse("consent:public-form", kwargs=kw),
        reverse("consent:public-form-config", kwargs=kw),
        reverse("consent:public-form-submit", kwargs=kw),
    )


def _iframe_token(client, form) -> str:
    html = client.get(_urls(form)[0]).content.decode()
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _nothing_written(business):
    assert not Contact.objects.filter(business=business).exists()
    assert not ConsentEvent.objects.filter(business=business).exists()


def test_embed_script_fetches_the_form_and_posts_json_with_cors(client, business, form):
    _, config, submit = _urls(form)
    preflight = client.options(config, HTTP_ORIGIN=SITE)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SITE
    assert "POST" in preflight["Access-Control-Allow-Methods"]

    response = client.get(config, HTTP_ORIGIN=SITE)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response["Cache-Control"] == "no-store"
    payload = response.json()
    assert 'name="phone"' in payload["html"]
    assert payload["submit_url"] == f"http://testserver{submit}"
    snapshot = FormSnapshot.objects.get(business=business)

    preflight = client.options(submit, HTTP_ORIGIN=SITE)
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == SITE

    body = {
        "phone": "+1 312 555 0181",
        "consent": True,  # the script sends JSON booleans
        "age_confirmed": True,
        "page_url": f"{SITE}/join?ref=ad",
        "token": payload["token"],
    }
    response = client.post(
        submit, json.dumps(body), content_type="application/json", HTTP_ORIGIN=SITE
    )
    assert response.status_code == 200
    assert response.json() == {"status": "pending", "message": form.success_message}
    assert response["Access-Control-Allow-Origin"] == SITE
    event = ConsentEvent.objects.get(business=business, contact__phone="+13125550181")
    assert event.kind == EventKind.OPT_IN
    assert event.form == form
    # the page the person was on, and the very form shown to them
    assert event.page_url == f"{SITE}/join?ref=ad"
    assert event.form_snapshot_sha256 == snapshot.sha256

    # the same token again: refused in the one error shape, nothing more recorded
    replay = client.post(
        submit, json.dumps(body), content_type="application/json", HTTP_ORIGIN=SITE
    )
    assert replay.status_code == 403
    assert replay.json()["error"]["code"] == "form_refused"
    assert "already sent" in replay.json()["error"]["message"]
    assert ConsentEvent.objects.filter(business=business).count() == 1


def test_a_posted_page_url_on_a_foreign_site_is_not_taken_as_evidence(client, business, form):
    submit = _urls(form)[2]
    response = client.post(
        submit, {**GOOD, "page_url": "https://evil.example/fake"}, HTTP_ORIGIN=SITE
    )
    assert response.status_code == 200
    assert ConsentEvent.objects.get(business=business).page_url == SITE


def test_a_confirmed_subscriber_posting_json_is_told_so(client, business):
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    token = client.get(_urls(form)[1], HTTP_ORIGIN=SITE).json()["token"]
    response = client.post(
        _urls(form)[2],
        json.dumps({**GOOD, "token": token}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    assert ConsentEvent.objects.get(business=business).kind == EventKind.OPT_IN_CONFIRMED


def test_the_config_is_refused_to_a_site_not_allowed(client, business, form):
    config = _urls(form)[1]
    response = client.get(config, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "form_refused"
    assert "Access-Control-Allow-Origin" not in response
    assert not FormSnapshot.objects.filter(business=business).exists()
    # a preflight from a stranger gets no CORS grant
    preflight = client.options(config, HTTP_ORIGIN="https://evil.example")
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight


def test_an_unknown_or_inactive_form_is_a_404_in_every_method(client, business, form):
    form.is_active = False
    form.save(update_fields=["is_active"])
    page, config, submit = _urls(form)
    assert client.get(page).status_code == 404
    for response in (
        client.get(config, HTTP_ORIGIN=SITE),
        client.options(config, HTTP_ORIGIN=SITE),
        client.options(submit, HTTP_ORIGIN=SITE),
        client.post(submit, GOOD, HTTP_ORIGIN=SITE),
        client.post(submit, json.dumps(GOOD), content_type="application/json", HTTP_ORIGIN=SITE),
    ):
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": "Form not found.",
            "fields": {},
            "detail": {},
        }
    _nothing_written(business)


def test_submit_answers_get_with_405(client, form):
    response = client.get(_urls(form)[2])
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"a string"', b"\xff\xfe"])
def test_a_json_body_that_is_not_an_object_is_a_400(client, business, form, body):
    response = client.post(_urls(form)[2], body, content_type="application/json", HTTP_ORIGIN=SITE)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "The request body is not a JSON object."
    assert response["Access-Control-Allow-Origin"] == SITE
    _nothing_written(business)


def test_an_expired_token_is_refused_with_a_reload_hint(client, business, form, monkeypatch):
    # a token issued three hours ago (the limit is two)
    old = signing.b62_encode(int(signing.time.time()) - 3 * 3600)
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: old)
    token = _iframe_token(client, form)
    monkeypatch.undo()
    response = client.post(
        _urls(form)[2], {**GOOD, "token": token}, HTTP_ORIGIN="http://testserver"
    )
    assert response.status_code == 403
    assert b"This form has expired: reload the page" in response.content
    _nothing_written(business)


def test_a_token_of_another_form_is_refused(client, business, form):
    other = OptInFormFactory(business=business, allowed_origins=[SITE])
    token = _iframe_token(client, other)
    response = client.post(
        _urls(form)[2],
        json.dumps({**GOOD, "token": token}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "This form could not be verified: reload the page."
    )
    _nothing_written(business)


@pytest.mark.parametrize(
    "header",
    ["https://brightsmile.example:abc/join", "https://brightsmile.example:99999/", "http://[::1/"],
)
def test_a_malformed_referer_or_origin_is_never_a_500(client, business, form, header):
    page, config, submit = _urls(form)
    # the page: as if no referer was sent (a direct link); framing is up to the CSP
    response = client.get(page, HTTP_REFERER=header)
    assert response.status_code == 200
    assert f"frame-ancestors 'self' {SITE}" in response["Content-Security-Policy"]
    response = client.get(config, HTTP_ORIGIN=header)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "form_refused"
    assert client.options(config, HTTP_ORIGIN=header).status_code == 204
    # the submission: no usable origin, refused
    response = client.post(submit, GOOD, HTTP_ORIGIN=header)
    assert response.status_code == 403
    response = client.post(
        submit, json.dumps(GOOD), content_type="application/json", HTTP_REFERER=header
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This form can only be sent from a web page."
    _nothing_written(business)


# The "Reply YES" text is queued when the pending consent commits and sent by a worker (issue
# 18, finding 9, session 9): a real Celery worker runs it here, on the committed rows.


@pytest.mark.django_db(transaction=True)
def test_a_reply_yes_text_that_cannot_be_queued_keeps_the_pending_consent(
    client, business, form, settings, text_worker
):
    # a per-number cap of one segment: the "Reply YES" text (two segments) is refused
    settings.MESSAGING_RATE_LIMIT = 1
    worker = text_worker()
    response = client.post(_urls(form)[2], GOOD, HTTP_ORIGIN=SITE)
    assert response.status_code == 200
    assert b"reply YES" in response.content
    event = ConsentEvent.objects.get(business=business)
    assert event.kind == EventKind.OPT_IN
    wait_for(lambda: "could not be queued" in worker.log.read_text(), "the worker's refusal")
    assert not Message.objects.filter(business=business).exists()


@pytest.mark.django_db(transaction=True)
def test_the_reply_yes_text_goes_from_the_forms_campaign_number(client, business, text_worker):
    from messaging.tasks import optin_form_reply_yes
    from tests.factories.campaigns import CampaignFactory, PhoneNumberFactory

    PhoneNumberFactory(business=business)  # another campaign's number, the older one
    campaign = CampaignFactory(business=business)
    number = PhoneNumberFactory(business=business, campaign=campaign)
    form = OptInFormFactory(business=business, allowed_origins=[SITE], campaigns=[campaign])
    response = client.post(_urls(form)[2], GOOD, HTTP_ORIGIN=SITE)
    assert response.status_code == 200
    event = ConsentEvent.objects.get(business=business, kind=EventKind.OPT_IN)
    assert event.campaign == campaign
    assert not Message.objects.filter(business=business).exists()  # the worker's, after
    text_worker()
    texts = Message.objects.filter(business=business, purpose="double_opt_in")
    text = wait_for(texts.first, "the worker's text")
    optin_form_reply_yes(event.pk)  # run again (a retry, a lost worker's redelivery)
    assert list(texts) == [text]  # exactly one text
    assert text.from_number == number
    assert text.idempotency_key == f"doi:{event.uuid}"
    assert "Reply YES" in text.body and text.contact == event.contact


def test_the_data_subject_export_holds_the_contacts_own_messages(owner_client, business):
    # the messages section comes from messaging's registered exporter
    from tests.factories.consent import ContactFactory
    from tests.factories.messaging import MessageFactory

    contact = ContactFactory(business=business, phone="+13125550171")
    other = ContactFactory(business=business, phone="+13125550172")
    MessageFactory(business=business, contact=contact, to_phone=contact.phone, body="Hi Ann")
    MessageFactory(business=business, contact=other, to_phone=other.phone, body="Hi Bob")
    response = owner_client.get(
        reverse("consent:contact-export", kwargs={"contact_uuid": contact.uuid})
    )
    assert response.status_code == 200
    messages = json.loads(response.content)["messages"]
    assert [m["body"] for m in messages] == ["Hi Ann"]
    assert messages[0]["to_phone"] == "+13125550171"
