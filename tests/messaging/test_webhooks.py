"""Signed provider webhooks (carrier HMAC, Twilio RequestValidator) and the Twilio provider
against a local server that speaks Twilio's Messages API."""

import json
import time

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from consent.selectors import consent_check
from devtools.fake_twilio import FakeTwilio
from messaging import services
from messaging.models import Message, StatusCallback
from messaging.providers import base, signing
from messaging.providers.twilio import TwilioProvider
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db
TOKEN = "twilio-test-auth-token-0123456789"
SID = "AC" + "0" * 32


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _signed(client, url, payload: dict, *, secret=None, ts=None):
    body = json.dumps(payload).encode()
    ts = ts or f"{time.time():.3f}"
    sig = signing.sign(secret or signing.carrier_secret(), ts, body)
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_TIMESTAMP=ts,
        HTTP_X_CARRIER_SIGNATURE=sig,
    )


def test_carrier_status_webhook_stores_raw_then_applies(client, business, number, monkeypatch):
    monkeypatch.setattr("messaging.provider_webhooks._schedule_apply", lambda: None)
    contact = consenting_contact(business=business, number=number)
    m = services.message_enqueue(
        business=business, body="Hi", kind="transactional", contact=contact
    )
    Message.objects.filter(pk=m.pk).update(status=S.SENT, provider_id="SMx")
    url = reverse("messaging:webhook-carrier-status")
    payload = {
        "id": "SMx",
        "message_id": str(m.uuid),
        "status": "undelivered",
        "error_code": "30003",
    }
    assert _signed(client, url, payload).status_code == 204
    assert StatusCallback.objects.count() == 1
    services.status_callbacks_apply()
    m.refresh_from_db()
    assert m.status == S.UNDELIVERED and m.error_code == "30003"


@pytest.mark.parametrize(
    "tamper",
    ["unsigned", "wrong_secret", "stale", "body_changed"],
)
def test_carrier_webhooks_refuse_forgeries(client, business, number, tamper):
    url = reverse("messaging:webhook-carrier-inbound")
    payload = {"id": "MO1", "from": "+16465550100", "to": number.e164, "body": "STOP"}
    if tamper == "unsigned":
        response = client.post(url, data=payload, content_type="application/json")
    elif tamper == "wrong_secret":
        response = _signed(client, url, payload, secret=b"not-the-secret")
    elif tamper == "stale":
        response = _signed(client, url, payload, ts=f"{time.time() - 3600:.3f}")
    else:
        body = json.dumps(payload).encode()
        ts = f"{time.time():.3f}"
        response = client.post(
            url,
            data=body.replace(b"STOP", b"HELP"),
            content_type="application/json",
            HTTP_X_CARRIER_TIMESTAMP=ts,
            HTTP_X_CARRIER_SIGNATURE=signing.sign(signing.carrier_secret(), ts, body),
        )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Message.objects.exists()


def test_carrier_inbound_stop_opts_out(client, business, number):
    contact = consenting_contact(business=business, number=number)
    url = reverse("messaging:webhook-carrier-inbound")
    payload = {"id": "MO2", "from": contact.phone_e164, "to": number.e164, "body": "Stop."}
    assert _signed(client, url, payload).status_code == 204
    decision = consent_check(
        business=business, contact=contact, kind="marketing", campaign=number.campaign
    )
    assert not decision.allowed
    assert Message.objects.filter(purpose="opt_out_confirmation").count() == 1


def test_carrier_webhook_bad_json_is_400(client, business):
    url = reverse("messaging:webhook-carrier-status")
    body = b"not json"
    ts = f"{time.time():.3f}"
    response = client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_CARRIER_TIMESTAMP=ts,
        HTTP_X_CARRIER_SIGNATURE=signing.sign(signing.carrier_secret(), ts, body),
    )
    assert response.status_code == 400


# --- Twilio -----------------------------------------------------------------------------------


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_ACCOUNT_SID = SID
    settings.MESSAGING_WEBHOOK_BASE_URL = "https://hooks.example.com"
    return settings


def _twilio_post(client, path, params, signature):
    return client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_twilio_inbound_with_valid_signature(client, business, number, twilio_settings):
    path = reverse("messaging:webhook-twilio-inbound")
    params = {"MessageSid": "SM1", "From": "+16465550133", "To": number.e164, "Body": "HELP"}
    signature = RequestValidator(TOKEN).compute_signature(
        f"https://hooks.example.com{path}", params
    )
    response = _twilio_post(client, path, params, signature)
    assert response.status_code == 200
    inbound = Message.objects.get(direction="inbound")
    assert Message.objects.get(reply_to=inbound).purpose == "help_reply"


@pytest.mark.parametrize("forgery", ["no_signature", "wrong_token", "changed_param", "other_url"])
def test_twilio_signature_validation_rejects_forged_webhook(
    client, business, number, twilio_settings, forgery
):
    path = reverse("messaging:webhook-twilio-inbound")
    params = {"MessageSid": "SM2", "From": "+16465550133", "To": number.e164, "Body": "STOP"}
    url = f"https://hooks.example.com{path}"
    signature = {
        "no_signature": "",
        "wrong_token": RequestValidator("another-token").compute_signature(url, params),
        "changed_param": RequestValidator(TOKEN).compute_signature(
            url, {**params, "Body": "HELLO"}
        ),
        "other_url": RequestValidator(TOKEN).compute_signature(
            "https://evil.example.com" + path, params
        ),
    }[forgery]
    response = _twilio_post(client, path, params, signature)
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_twilio_status_callback(client, business, number, twilio_settings, monkeypatch):
    monkeypatch.setattr("messaging.provider_webhooks._schedule_apply", lambda: None)
    contact = consenting_contact(business=business, number=number)
    m = services.message_enqueue(
        business=business, body="Hi", kind="transactional", contact=contact
    )
    Message.objects.filter(pk=m.pk).update(status=S.SENT, provider_id="SMabc")
    path = reverse("messaging:webhook-twilio-status")
    params = {"MessageSid": "SMabc", "MessageStatus": "delivered"}
    sig = RequestValidator(TOKEN).compute_signature(f"https://hooks.example.com{path}", params)
    assert _twilio_post(client, path, params, sig).status_code == 204
    services.status_callbacks_apply()
    m.refresh_from_db()
    assert m.status == S.DELIVERED


def test_twilio_provider_against_local_messages_api(twilio_settings):
    fake = FakeTwilio()
    twilio_settings.TWILIO_API_BASE_URL = fake.url
    provider = TwilioProvider()
    items = [
        base.Outbound("m1", "+13125550100", "+16465550100", "Hello", 1, "cb"),
        base.Outbound("m2", "+13125550100", "+15005550009", "Hello", 1, ""),
        base.Outbound("m3", "+13125550100", "+15005550429", "Hello", 1, ""),
    ]
    results = base.run_async(provider.send_many(items), timeout=30)
    assert results[0].outcome == base.ACCEPTED and results[0].provider_id.startswith("SM")
    assert (results[1].outcome, results[1].code) == (base.PERMANENT, "21614")
    assert results[2].outcome == base.THROTTLED
    first = next(r for r in fake.requests if r["To"] == "+16465550100")
    assert first["From"] == "+13125550100" and first["Body"] == "Hello"
    assert first["StatusCallback"] == "https://hooks.example.com/webhooks/twilio/status/"
    assert first["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert first["auth"].startswith("Basic ")
