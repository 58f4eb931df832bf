"""Media's part of data rights and retention, registered from MediaConfig.ready().

A file is deleted from storage with its row, never only the row:
- erasure of a contact: the files their messages carry that no other contact's message or
  broadcast carries (their own pictures, a card sent only to them) — files and rows;
- the contact's data export: every file of their messages, with its bytes (base64);
- retention: files of messages older than RETENTION_MESSAGE_BODY_DAYS (like the bodies),
  files never attached to anything after MEDIA_UNATTACHED_HOURS, and a closed business's
  files after its legal period.
"""

import base64
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from accounts.models import Business
from accounts.privacy import inventory, retention
from consent import erasure

from .models import MediaAttachment, MediaObject
from .services import media_delete

RULE = "MMS media deleted from storage with their messages' bodies"
UNATTACHED_RULE = "MMS media never attached deleted after MEDIA_UNATTACHED_HOURS"
CLOSED_RULE = "a closed business's MMS media deleted after its legal period"


def _contact_media(*, business, contact):
    return MediaObject.objects.filter(
        business=business, attachments__message__contact=contact
    ).distinct()


def erase_contact_media(*, business, contact) -> dict:
    others = MediaAttachment.objects.filter(media=OuterRef("pk")).filter(
        Q(broadcast__isnull=False) | ~Q(message__contact=contact) | Q(message__contact__isnull=True)
    )
    mine = MediaObject.objects.filter(
        pk__in=_contact_media(business=business, contact=contact).values("pk")
    ).exclude(Exists(others))
    return media_delete(queryset=mine)


def export_contact_media(*, business, contact) -> list[dict]:
    out = []
    for m in _contact_media(business=business, contact=contact).order_by("created_at", "id"):
        try:
            with m.file.open("rb") as handle:
                data = base64.b64encode(handle.read()).decode()
        except OSError:
            data = ""
        out.append(
            {
                "uuid": str(m.uuid),
                "source": m.source,
                "content_type": m.content_type,
                "name": m.name,
                "size": m.size,
                "sha256": m.sha256,
                "created_at": m.created_at.isoformat(),
                "messages": [
                    str(u)
                    for u in m.attachments.filter(message__contact=contact).values_list(
                        "message__uuid", flat=True
                    )
                ],
                "data_base64": data,
            }
        )
    return out


def purge_old_media(*, now, dry_run: bool) -> dict:
    """Files whose every message is older than the body retention period."""
    cutoff = now - timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS)
    recent = MediaAttachment.objects.filter(media=OuterRef("pk")).filter(
        Q(broadcast__isnull=False) | Q(message__created_at__gte=cutoff)
    )
    old = MediaObject.objects.filter(created_at__lt=cutoff, attachments__isnull=False).exclude(
        Exists(recent)
    )
    if dry_run:
        return {"media": old.distinct().count()}
    return media_delete(queryset=old.distinct())


def purge_unattached_media(*, now, dry_run: bool) -> dict:
    cutoff = now - timedelta(hours=settings.MEDIA_UNATTACHED_HOURS)
    loose = MediaObject.objects.filter(created_at__lt=cutoff, attachments__isnull=True)
    if dry_run:
        return {"media": loose.count()}
    return media_delete(queryset=loose)


def purge_closed_business_media(*, now, dry_run: bool) -> dict:
    days = max(settings.RETENTION_CLOSED_BUSINESS_DAYS, round(retention.consent_years() * 365.2425))
    due = Business.objects.filter(
        vetting_status=Business.Vetting.TERMINATED,
        vetting_changed_at__lt=now - timedelta(days=days),
    )
    media = MediaObject.objects.filter(business__in=due)
    if dry_run:
        return {"media": media.count()}
    return media_delete(queryset=media)


def register() -> None:
    erasure.register(erase_contact_media)
    erasure.register_exporter("media", export_contact_media)
    retention.register(RULE, purge_old_media)
    retention.register(UNATTACHED_RULE, purge_unattached_media)
    retention.register(CLOSED_RULE, purge_closed_business_media)
    inventory.declare(
        "media.MediaObject",
        ["file", "thumbnail", "name", "metadata_text", "source_url"],
        erasure="the contact's files deleted from storage with their rows (erase_contact_media)",
        export="the contact's data export, media (with the bytes)",
        retention=RULE,
    )
    inventory.not_personal(
        "media.MediaObject", ["content_type"], reason="a file type (image/jpeg, text/vcard)"
    )
    inventory.not_personal(
        "media.MediaType",
        ["content_type", "label", "note"],
        reason="the platform's allow-list of file types",
    )
