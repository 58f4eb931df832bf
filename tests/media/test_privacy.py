"""Erasure and retention delete files from storage (not only rows); the export holds them."""

import base64
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Business
from accounts.privacy import retention
from consent import services as consent_services
from consent import subject
from messaging import services
from messaging.media import privacy
from messaging.media import services as media_services
from messaging.media.models import MediaObject
from messaging.models import Message
from tests.factories.messaging import consenting_contact

from .conftest import photo, png

pytestmark = pytest.mark.django_db
BODY = "Bright Smile: your new smile. Reply STOP to opt out."


def _send(business, contact, number, media):
    return services.message_enqueue(
        business=business, body=BODY, kind="transactional", contact=contact,
        from_number=number, media=media,
    )  # fmt: skip


def _exists(media) -> bool:
    return media.file.storage.exists(media.file.name)


def test_erasure_deletes_the_contacts_files_from_storage(
    business, mms_number, mms_contact, django_capture_on_commit_callbacks
):
    own = media_services.media_create(business=business, data=photo())
    shared = media_services.media_create(business=business, data=png())
    other = consenting_contact(business=business, number=mms_number)
    _send(business, mms_contact, mms_number, [own, shared])
    _send(business, other, mms_number, [shared])
    bundle = subject.export_bundle(business=business, contact=mms_contact)
    exported = {m["uuid"]: m for m in bundle["media"]}
    assert set(exported) == {str(own.uuid), str(shared.uuid)}
    with own.file.open("rb") as f:
        assert base64.b64decode(exported[str(own.uuid)]["data_base64"]) == f.read()
    with django_capture_on_commit_callbacks(execute=True):
        consent_services.contact_erase(business=business, contact=mms_contact)
    assert not MediaObject.objects.filter(pk=own.pk).exists() and not _exists(own)
    assert MediaObject.objects.filter(pk=shared.pk).exists() and _exists(shared)


def test_retention_deletes_old_and_unattached_files(
    business, mms_number, mms_contact, settings, django_capture_on_commit_callbacks
):
    old = media_services.media_create(business=business, data=png())
    fresh = media_services.media_create(business=business, data=png())
    loose = media_services.media_create(business=business, data=png())
    kept_loose = media_services.media_create(business=business, data=png())
    _send(business, mms_contact, mms_number, [old])
    _send(business, mms_contact, mms_number, [fresh])
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS + 1)
    MediaObject.objects.filter(pk__in=[old.pk, loose.pk]).update(created_at=long_ago)
    Message.objects.filter(media__media=old).update(created_at=long_ago)
    now = timezone.now()
    assert privacy.purge_old_media(now=now, dry_run=True) == {"media": 1}
    with django_capture_on_commit_callbacks(execute=True):
        retention.retention_run(now=now)
    assert not _exists(old) and not _exists(loose)
    assert _exists(fresh) and _exists(kept_loose)
    assert set(MediaObject.objects.values_list("pk", flat=True)) == {fresh.pk, kept_loose.pk}


def test_a_closed_business_loses_its_files(business, settings, django_capture_on_commit_callbacks):
    media = media_services.media_create(business=business, data=png())
    business.vetting_status = Business.Vetting.TERMINATED
    business.vetting_changed_at = timezone.now() - timedelta(days=365 * 6)
    business.save()
    assert privacy.purge_closed_business_media(now=timezone.now(), dry_run=True) == {"media": 1}
    with django_capture_on_commit_callbacks(execute=True):
        privacy.purge_closed_business_media(now=timezone.now(), dry_run=False)
    assert not _exists(media)
