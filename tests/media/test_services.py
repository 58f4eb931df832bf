"""Storing files, the allow-list, signed URLs, the portal's view, and messages that carry
files through every gate."""

import time

import pytest
from django.core import signing
from django.urls import reverse

from accounts.errors import ValidationFailed
from messaging import services
from messaging.media import selectors
from messaging.media import services as media_services
from messaging.media.models import MediaAttachment, MediaObject, MediaType
from messaging.models import Message
from tests.factories.messaging import consenting_contact, sending_number

from .conftest import VCARD, photo, png

pytestmark = pytest.mark.django_db
BODY = "Bright Smile: here is your new smile. Reply STOP to opt out."


def test_an_upload_is_stored_clean_with_a_thumbnail(business):
    media = media_services.media_create(
        business=business, data=photo((2400, 1800)), name="../../etc/My Smile\x00.png"
    )
    assert media.content_type == "image/jpeg"  # by content, not by the .png name
    assert media.name == "My Smile.png"
    assert media.had_location and media.size <= 500_000 and media.original_size > media.size
    with media.file.open("rb") as f:
        data = f.read()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == media.sha256
    assert media.thumbnail.name.endswith(".jpg")


def test_a_type_staff_turned_off_is_refused(business):
    MediaType.objects.update_or_create(
        content_type="image/png", defaults={"label": "PNG picture", "is_allowed": False}
    )
    with pytest.raises(ValidationFailed) as exc:
        media_services.media_create(business=business, data=png())
    assert "PNG picture files are not allowed" in exc.value.fields["file"][0]
    assert media_services.media_create(business=business, data=VCARD).content_type == "text/vcard"


def test_not_a_picture_is_a_field_error(business):
    with pytest.raises(ValidationFailed) as exc:
        media_services.media_create(business=business, data=b"%PDF-1.4", name="x.jpg")
    assert "not a picture" in exc.value.fields["file"][0]
    with pytest.raises(ValidationFailed):
        media_services.media_create(business=business, data=b"")


def test_upload_size_limit(business, settings):
    settings.MEDIA_UPLOAD_MAX_BYTES = 1000
    with pytest.raises(ValidationFailed, match="At most 1,000 bytes"):
        media_services.media_create(business=business, data=photo())


def test_signed_url_serves_the_file_and_nothing_else_does(business, client, settings):
    media = media_services.media_create(business=business, data=png())
    url = selectors.media_signed_url(media)
    assert url.startswith(settings.MEDIA_PUBLIC_BASE_URL)
    path = url[len(settings.MEDIA_PUBLIC_BASE_URL) :]
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == png() or media.size > 0
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.head(path).status_code == 200
    # the id alone, a forged signature, another salt, an expired token: all 404
    token = path.split("/")[3]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(path.replace(token, forged)).status_code == 404
    other = signing.dumps({"m": media.uuid.hex, "e": int(time.time()) + 60}, salt="other")
    assert client.get(path.replace(token, other)).status_code == 404
    expired = selectors.media_url_token(media, max_age=-1)
    assert client.get(path.replace(token, expired)).status_code == 404
    assert client.post(path).status_code == 405


def test_portal_view_is_the_businesss_own(business, other_business, owner_client):
    mine = media_services.media_create(business=business, data=photo())
    theirs = media_services.media_create(business=other_business, data=png())
    assert owner_client.get(reverse("media:file", args=[mine.uuid])).status_code == 200
    thumb = owner_client.get(reverse("media:thumbnail", args=[mine.uuid]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert owner_client.get(reverse("media:file", args=[theirs.uuid])).status_code == 404


def _mms(business, contact, number, media, body=BODY, kind="transactional", **kw):
    return services.message_enqueue(
        business=business,
        body=body,
        kind=kind,
        contact=contact,
        from_number=number,
        media=media,
        **kw,
    )


def test_an_mms_is_one_message_whatever_its_length(business, mms_number, mms_contact):
    media = [media_services.media_create(business=business, data=photo())]
    long_caption = (BODY + " ") * 25
    long_caption = long_caption[:1590]
    message = _mms(business, mms_contact, mms_number, media, body=long_caption)
    assert message.status == Message.Status.QUEUED, message.reasons
    assert (message.segments, message.media_count) == (1, 1)
    assert [a.media for a in message.media.all()] == media
    with pytest.raises(ValidationFailed, match="Some fields"):
        _mms(business, mms_contact, mms_number, media, body="x" * 1601)


def test_caption_may_be_empty_with_a_picture_but_not_without(business, mms_number, mms_contact):
    media = [media_services.media_create(business=business, data=png())]
    message = _mms(business, mms_contact, mms_number, media, body="", kind="conversational",
                   channel="portal")  # fmt: skip
    assert message.status == Message.Status.QUEUED, message.reasons
    with pytest.raises(ValidationFailed):
        _mms(business, mms_contact, mms_number, [], body="")


def test_count_and_total_size_ceilings(business, mms_number, mms_contact, settings):
    settings.MEDIA_MAX_COUNT = 2
    media = [media_services.media_create(business=business, data=png()) for _ in range(3)]
    with pytest.raises(ValidationFailed) as exc:
        _mms(business, mms_contact, mms_number, media)
    assert "At most 2 files" in exc.value.fields["media"][0]
    settings.MEDIA_MAX_COUNT = 10
    settings.MEDIA_MAX_TOTAL_BYTES = 100
    with pytest.raises(ValidationFailed) as exc:
        _mms(business, mms_contact, mms_number, media[:1])
    assert "add up to" in exc.value.fields["media"][0]


def test_another_businesss_file_is_refused(business, other_business, mms_number, mms_contact):
    theirs = media_services.media_create(business=other_business, data=png())
    with pytest.raises(ValidationFailed) as exc:
        _mms(business, mms_contact, mms_number, [theirs])
    assert exc.value.fields["media"] == ["Unknown media."]
    assert not MediaAttachment.objects.exists()


def test_the_campaign_must_be_registered_for_mms(business):
    number = sending_number(business=business)  # campaign.mms is False
    contact = consenting_contact(business=business, number=number)
    media = [media_services.media_create(business=business, data=png())]
    message = _mms(business, contact, number, media)
    assert message.status == Message.Status.BLOCKED
    assert message.reasons[0]["code"] == "campaign_no_mms"
    # the same text without the picture goes
    plain = _mms(business, contact, number, [])
    assert plain.status == Message.Status.QUEUED


def test_the_content_policy_reads_file_names_and_metadata(business, mms_number, mms_contact):
    hidden = media_services.media_create(
        business=business, data=photo(description="Buy cannabis edibles and THC gummies today")
    )
    message = _mms(business, mms_contact, mms_number, [hidden])
    assert message.status in (Message.Status.BLOCKED, Message.Status.HELD)
    assert any(r["gate"] == "policy" for r in message.reasons)
    named = media_services.media_create(
        business=business, data=png(), name="cannabis-edibles-THC-gummies.png"
    )
    assert _mms(business, mms_contact, mms_number, [named]).status != Message.Status.QUEUED
    clean = media_services.media_create(business=business, data=png(), name="smile.png")
    assert _mms(business, mms_contact, mms_number, [clean]).status == Message.Status.QUEUED


def test_consent_still_decides(business, mms_number):
    stranger = consenting_contact(business=business, number=sending_number(business=business))
    media = [media_services.media_create(business=business, data=png())]
    message = _mms(business, stranger, mms_number, media)
    assert message.status == Message.Status.BLOCKED
    assert any(r["gate"] == "consent" for r in message.reasons)


def test_bulk_and_scheduled_sends_carry_files(business, mms_number):
    from datetime import timedelta

    from django.utils import timezone

    media = [media_services.media_create(business=business, data=png())]
    contacts = [consenting_contact(business=business, number=mms_number) for _ in range(3)]
    rows = services.message_enqueue_many(
        business=business,
        items=[
            services.Outgoing(
                contact=c,
                body=BODY,
                kind="transactional",
                from_number=mms_number,
                media=tuple(media),
            )
            for c in contacts
        ],
    )
    assert [m.media_count for m in rows] == [1, 1, 1]
    assert MediaAttachment.objects.filter(message__in=rows).count() == 3
    later = _mms(business, contacts[0], mms_number, media,
                 send_at=timezone.now() + timedelta(hours=2))  # fmt: skip
    assert later.status == Message.Status.SCHEDULED and later.media.count() == 1


def test_deleting_removes_the_files(business, django_capture_on_commit_callbacks):
    media = media_services.media_create(business=business, data=photo())
    storage = media.file.storage
    names = [media.file.name, media.thumbnail.name]
    assert all(storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        media_services.media_delete(queryset=MediaObject.objects.filter(pk=media.pk))
    assert not any(storage.exists(n) for n in names)
    assert not MediaObject.objects.filter(pk=media.pk).exists()


def test_a_cards_phone_number_is_content_the_campaign_must_declare(
    business, mms_number, mms_contact
):
    card = media_services.media_create(business=business, data=VCARD, name="desk.vcf")
    message = _mms(business, mms_contact, mms_number, [card])
    assert message.status == Message.Status.BLOCKED
    assert "phone numbers" in message.reasons[-1]["message"]


def test_a_broadcast_estimate_counts_an_mms_as_one_message(business, mms_number, mms_contact):
    from messaging import selectors as messaging_selectors

    long_caption = "Bright Smile news. " * 20 + "Reply STOP to opt out."
    kwargs = {"business": business, "body": long_caption, "from_number": mms_number,
              "contact_uuids": [mms_contact.uuid]}  # fmt: skip
    assert messaging_selectors.broadcast_preview(**kwargs)["segments_per_message"] == 3
    mms = messaging_selectors.broadcast_preview(**kwargs, media_count=1)
    assert mms["segments_per_message"] == 1
    assert (
        mms["estimate_seconds"]
        <= messaging_selectors.broadcast_preview(**kwargs)["estimate_seconds"]
    )
