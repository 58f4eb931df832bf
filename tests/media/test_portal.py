"""The portal without a browser: compose with pictures (check keeps them, send carries
them, bad files are field errors), broadcasts with a picture for everyone, the log and the
thread show thumbnails, staff edit the allow-list, keyword consent evidence names pictures."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.events.models import WebhookDelivery, WebhookEndpoint
from consent.models import ConsentEvent
from messaging import services
from messaging.media import services as media_services
from messaging.media.models import MediaObject, MediaType
from messaging.models import Broadcast, Message
from tests.factories.messaging import consenting_contact

from .conftest import VCARD, photo, png

pytestmark = pytest.mark.django_db
BODY = "Bright Smile: your new smile. Reply STOP to opt out."


def _upload(data: bytes, name: str = "smile.jpg"):
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _compose(client, contact, **data):
    data.setdefault("to", contact.phone_e164)
    data.setdefault("body", BODY)
    data.setdefault("kind", "transactional")
    data.setdefault("when", "now")
    data.setdefault("zone_basis", "recipient")
    return client.post("/app/compose/", data)


def test_check_keeps_the_files_then_send_carries_them(owner_client, mms_number, mms_contact):
    # the card holds a phone number: the campaign must have declared embedded phone numbers
    type(mms_number.campaign).objects.filter(pk=mms_number.campaign_id).update(embedded_phone=True)
    page = owner_client.get("/app/compose/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="attachments"' in page
    assert "one MMS" in page
    checked = _compose(
        owner_client, mms_contact, action="check",
        attachments=[_upload(photo((2000, 1500))), _upload(VCARD, "desk.vcf")],
    )  # fmt: skip
    assert checked.status_code == 200
    html = checked.content.decode()
    assert "Ready to send" in html and "One MMS with 2 files" in html
    assert "location removed" in html
    kept = list(MediaObject.objects.order_by("id"))
    assert len(kept) == 2 and [m.content_type for m in kept] == ["image/jpeg", "text/vcard"]
    value = ",".join(str(m.uuid) for m in kept)
    assert f'name="media_uuids" value="{value}"' in html
    sent = _compose(owner_client, mms_contact, action="send", media_uuids=value)
    assert sent.status_code == 302
    message = Message.objects.get()
    assert message.media_count == 2 and [a.media for a in message.media.all()] == kept
    detail = owner_client.get(sent["Location"]).content.decode()
    assert "one MMS with 2 files" in detail and "SHA-256" in detail
    log = owner_client.get("/app/messages/").content.decode()
    assert "MMS · 2 files" in log and f"/app/media/{kept[0].uuid}/thumb/" in log


def test_a_picture_alone_may_be_sent(owner_client, mms_number, mms_contact):
    sent = _compose(
        owner_client, mms_contact, action="send", body="", kind="conversational",
        attachments=[_upload(png(), "x.png")],
    )  # fmt: skip
    assert sent.status_code == 302
    assert Message.objects.get().status == Message.Status.QUEUED


def test_bad_files_are_errors_next_to_the_field(owner_client, mms_number, mms_contact, settings):
    response = _compose(
        owner_client, mms_contact, action="send", attachments=[_upload(b"%PDF-1.4", "x.jpg")]
    )
    assert response.status_code == 400
    assert "not a picture" in response.content.decode()
    settings.MEDIA_MAX_COUNT = 1
    too_many = _compose(
        owner_client, mms_contact, action="send",
        attachments=[_upload(png(), "a.png"), _upload(png(), "b.png")],
    )  # fmt: skip
    assert too_many.status_code == 400 and "At most 1 files" in too_many.content.decode()
    assert not Message.objects.exists()


def test_a_broadcast_carries_the_picture_to_everyone(owner_client, business, mms_number):
    people = [
        consenting_contact(business=business, number=mms_number, tags=["vip"]) for _ in range(3)
    ]
    response = owner_client.post(
        "/app/broadcasts/new/",
        {"name": "Smiles", "tags": "vip", "from_number": str(mms_number.uuid),
         "kind": "transactional", "body": BODY, "attachments": [_upload(photo())]},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    broadcast = Broadcast.objects.get()
    media = broadcast.media.get().media
    assert "/thumb/" in owner_client.get(response["Location"]).content.decode()
    owner_client.post(f"/app/broadcasts/{broadcast.uuid}/start/")
    rows = list(Message.objects.filter(broadcast=broadcast))
    assert len(rows) == len(people)
    assert all(m.media_count == 1 and m.segments == 1 for m in rows)
    assert {m.media.get().media_id for m in rows} == {media.pk}


def test_broadcast_api_with_media(api_client, business, mms_number, mms_contact):
    stored = media_services.media_create(business=business, data=png())
    response = api_client.post(
        "/api/v1/broadcasts/",
        {"name": "API smiles", "body": BODY, "kind": "transactional",
         "contact_uuids": [str(mms_contact.uuid)], "from_number": str(mms_number.uuid),
         "media": [str(stored.uuid)]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    broadcast = Broadcast.objects.get()
    services.broadcast_start(broadcast=broadcast)
    assert Message.objects.get(broadcast=broadcast).media_count == 1


def test_thread_shows_thumbnails(owner_client, business, mms_number, mms_contact):
    media = media_services.media_create(business=business, data=png(), source="inbound")
    inbound = Message.objects.create(
        business=business, contact=mms_contact, direction="inbound", from_number=mms_number,
        to_phone=mms_contact.phone_e164, body="look", status="RECEIVED", media_count=1,
    )  # fmt: skip
    media_services.media_attach(business=business, media=[media], messages=[inbound])
    page = owner_client.get(f"/app/inbox/{mms_contact.uuid}/").content.decode()
    assert f'href="/app/media/{media.uuid}/"' in page
    assert f'src="/app/media/{media.uuid}/thumb/"' in page


def test_staff_edit_the_allow_list(staff_client, business):
    listing = staff_client.get("/admin/media/mediatype/")
    assert listing.status_code == 200 and "image/jpeg" in listing.content.decode()
    jpeg = MediaType.objects.get(content_type="image/jpeg")
    response = staff_client.post(
        f"/admin/media/mediatype/{jpeg.pk}/change/",
        {"content_type": "image/jpeg", "label": "JPEG picture", "is_allowed": "", "note": "off"},
    )
    assert response.status_code == 302
    jpeg.refresh_from_db()
    assert not jpeg.is_allowed
    with pytest.raises(Exception, match="not allowed"):
        media_services.media_create(business=business, data=photo())
    stored = media_services.media_create(business=business, data=png())
    page = staff_client.get(f"/admin/media/mediaobject/{stored.pk}/change/")
    assert page.status_code == 200 and "/media/s/" in page.content.decode()


def test_a_keyword_with_a_picture_names_it_in_the_consent_evidence(
    business, mms_number, file_server
):
    campaign = mms_number.campaign
    campaign.join_keywords = "JOIN"
    campaign.save(update_fields=["join_keywords"])
    file_server.files["/p.png"] = ("image/png", png())
    services.inbound_receive(
        to_number=mms_number.e164, from_phone="+16465550177", body="JOIN", provider="simulated",
        provider_id="MO1", media_urls=[f"{file_server.url}/p.png"],
    )  # fmt: skip
    media = MediaObject.objects.get()
    event = ConsentEvent.objects.filter(business=business).order_by("-id").first()
    assert event is not None, Message.objects.get(direction="inbound").reasons
    (named,) = event.evidence.data["media"]
    assert named == {"uuid": str(media.uuid), "content_type": "image/png", "sha256": media.sha256}


def test_tenants_hear_of_a_clients_picture(business, mms_number, mms_contact, file_server):
    WebhookEndpoint.objects.create(
        business=business, url="https://hooks.example.com/in", events=["message.inbound"],
        secret="whsec_test",
    )  # fmt: skip
    file_server.files["/p.png"] = ("image/png", png())
    services.inbound_receive(
        to_number=mms_number.e164, from_phone=mms_contact.phone_e164, body="", provider="simulated",
        provider_id="MO9", media_urls=[f"{file_server.url}/p.png"],
    )  # fmt: skip
    media = MediaObject.objects.get()
    payload = WebhookDelivery.objects.get(event="message.inbound").payload
    assert payload["media"] == [
        {"uuid": str(media.uuid), "content_type": "image/png", "size": media.size,
         "sha256": media.sha256}
    ]  # fmt: skip
