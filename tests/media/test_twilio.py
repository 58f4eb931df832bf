"""Twilio: the provider sends each file's signed URL as MediaUrl (through the official
twilio library, against the local stand-in of its Messages API); an inbound MMS
(NumMedia, MediaUrlN) is downloaded once and stored as our own copy."""

import pytest
from django.urls import reverse
from twilio.request_validator import RequestValidator

from devtools.fake_twilio import FakeTwilio
from messaging.media.models import MediaObject
from messaging.models import Message
from messaging.providers import base
from messaging.providers.twilio import TwilioProvider

from .conftest import photo

pytestmark = pytest.mark.django_db
TOKEN = "twilio-test-auth-token-0123456789"
SID = "AC" + "1" * 32


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_ACCOUNT_SID = SID
    settings.MESSAGING_WEBHOOK_BASE_URL = "https://hooks.example.com"
    return settings


def test_the_provider_sends_media_urls(twilio_settings):
    fake = FakeTwilio()
    try:
        twilio_settings.TWILIO_API_BASE_URL = fake.url
        urls = (
            "https://hooks.example.com/media/s/t1/a.jpg",
            "https://hooks.example.com/media/s/t2/b.png",
        )
        results = base.run_async(
            TwilioProvider().send_many(
                [
                    base.Outbound("m1", "+13125550100", "+16465550100", "Look", 1, "", urls),
                    base.Outbound("m2", "+13125550100", "+16465550101", "Plain", 1, ""),
                ]
            ),
            timeout=30,
        )
    finally:
        fake.stop()
    assert [r.outcome for r in results] == [base.ACCEPTED, base.ACCEPTED]
    sent = {r["To"]: r for r in fake.requests if r.get("To")}
    assert sent["+16465550100"]["MediaUrl"] == list(urls)
    assert sent["+16465550101"]["MediaUrl"] == []


def _post(client, params):
    path = reverse("messaging:webhook-twilio-inbound")
    signature = RequestValidator(TOKEN).compute_signature(
        f"https://hooks.example.com{path}", params
    )
    return client.post(path, data=params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_inbound_mms_is_downloaded_and_kept(
    client, business, mms_number, mms_contact, twilio_settings, file_server
):
    file_server.files["/Media/ME1"] = ("image/jpeg", photo(description="my tooth"))
    params = {
        "MessageSid": "SMmms1",
        "From": mms_contact.phone_e164,
        "To": mms_number.e164,
        "Body": "",
        "NumMedia": "2",
        "MediaUrl0": f"{file_server.url}/Media/ME1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": f"{file_server.url}/Media/gone",
        "MediaContentType1": "image/png",
    }
    assert _post(client, params).status_code == 200
    inbound = Message.objects.get(direction="inbound")
    assert inbound.media_count == 1 and inbound.body == ""
    media = inbound.media.get().media
    assert media.source == MediaObject.Source.INBOUND and "my tooth" in media.metadata_text
    assert media.source_url.endswith("/Media/ME1")
    assert [r["code"] for r in inbound.reasons] == ["media_refused"]
    # Twilio retries its webhook: the first message stands, nothing is fetched again
    asked = len(file_server.requests)
    assert _post(client, params).status_code == 200
    assert Message.objects.filter(direction="inbound").count() == 1
    assert len(file_server.requests) == asked


def test_inbound_bad_num_media_is_400(client, business, mms_number, twilio_settings):
    params = {"MessageSid": "SMx", "From": "+16465550133", "To": mms_number.e164, "NumMedia": "x"}
    assert _post(client, params).status_code == 400
