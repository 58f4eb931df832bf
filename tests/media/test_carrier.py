"""End to end over HTTP: the drain hands the carrier signed URLs, the carrier fetches each
file from the live server and logs its hash; a client's picture comes back through the
carrier's inbound webhook, is downloaded once, cleaned and stored."""

import io

import pytest
import requests
from PIL import Image

from messaging import dispatch, services
from messaging.media import services as media_services
from messaging.media.models import MediaObject
from messaging.models import Message
from messaging.providers import _cache
from messaging.providers.base import Outbound, run_async
from messaging.providers.simulated import SimulatedCarrier
from tests.portal.conftest import wait_until

from .conftest import photo, png

pytestmark = pytest.mark.django_db(transaction=True)
BODY = "Bright Smile: your new smile. Reply STOP to opt out."


@pytest.fixture
def wired(carrier, live_server, settings, monkeypatch):
    settings.MEDIA_PUBLIC_BASE_URL = live_server.url
    settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    settings.MESSAGING_STATUS_CALLBACKS = False
    carrier.control(webhook_base=live_server.url)
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


def test_the_carrier_fetches_each_file_by_its_signed_url(wired, business, mms_number, mms_contact):
    files = [
        media_services.media_create(business=business, data=photo((1600, 1200))),
        media_services.media_create(business=business, data=png()),
    ]
    message = services.message_enqueue(
        business=business, body=BODY, kind="transactional", contact=mms_contact,
        from_number=mms_number, media=files,
    )  # fmt: skip
    dispatch.drain_number(mms_number.pk, max_seconds=10)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT, (message.error_code, message.error_message)
    (entry,) = [e for e in wired.audit() if e["message_id"] == str(message.uuid)]
    assert entry["media_count"] == 2 and entry["segments"] == 1
    assert [f["sha256"] for f in entry["media"]] == [f.sha256 for f in files]
    assert [f["bytes"] for f in entry["media"]] == [f.size for f in files]
    assert entry["media_bytes"] == sum(f.size for f in files)
    assert entry["media"][0]["content_type"] == "image/jpeg"


def test_an_unsigned_or_expired_url_fails_at_the_carrier(wired, business, live_server):
    media = media_services.media_create(business=business, data=png())
    from messaging.media import selectors

    good = selectors.media_signed_url(media)
    token = good.split("/")[5]
    forged = good.replace(token, token[:-3] + "xyz")
    expired = selectors.media_signed_url(media, max_age=-5)
    guessed = f"{live_server.url}/app/media/{media.uuid}/"  # the portal URL needs a login
    provider = SimulatedCarrier(base_url=wired.url)
    results = run_async(
        provider.send_many(
            [
                Outbound(f"m-{i}", "+13125550100", "+16465550100", "hi", 1, "", (url,))
                for i, url in enumerate([forged, expired, guessed, good])
            ]
        ),
        timeout=20,
    )
    assert [r.outcome for r in results] == ["permanent"] * 3 + ["accepted"]
    assert {r.code for r in results[:3]} == {"11200"}


def test_a_clients_picture_reaches_the_thread(wired, business, mms_number, mms_contact):
    response = requests.post(
        f"{wired.url}/v1/simulate/inbound",
        json={"from": mms_contact.phone_e164, "to": mms_number.e164, "body": "Is this normal?",
              "picture": "my tooth"},
        timeout=10,
    )  # fmt: skip
    assert response.status_code == 202
    inbound = wait_until(
        lambda: Message.objects.filter(direction="inbound", media_count=1).first(),
        what="the inbound picture",
    )
    assert inbound.body == "Is this normal?" and inbound.contact_id == mms_contact.pk
    media = inbound.media.get().media
    assert media.source == MediaObject.Source.INBOUND and media.had_location
    assert "my tooth" in media.metadata_text
    with media.file.open("rb") as f, Image.open(io.BytesIO(f.read())) as im:
        assert not im.getexif()  # camera and GPS data gone before it was stored
    assert wired.state()["counters"]["inbound_posts"] == 1


def test_a_refused_inbound_file_keeps_the_text(wired, business, mms_number, mms_contact):
    import base64

    requests.post(
        f"{wired.url}/v1/simulate/inbound",
        json={"from": mms_contact.phone_e164, "to": mms_number.e164, "body": "see file",
              "media": [{"content_type": "application/pdf",
                         "data_base64": base64.b64encode(b"%PDF-1.4").decode()}]},
        timeout=10,
    )  # fmt: skip
    inbound = wait_until(
        lambda: Message.objects.filter(direction="inbound").first(), what="the inbound text"
    )
    assert inbound.media_count == 0 and inbound.body == "see file"
    assert inbound.reasons[0]["code"] == "media_refused"
