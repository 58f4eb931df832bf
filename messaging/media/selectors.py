"""Reads of media: by id for a business, the files of a batch of messages, the allow-list,
and the signed URLs a carrier fetches files from."""

import time
from collections import defaultdict

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.errors import NotFound
from accounts.models import Business

from .models import DEFAULT_ALLOWED, MediaAttachment, MediaObject, MediaType

URL_SALT = "messaging.media.url"


def media_get(*, business: Business, media_uuid) -> MediaObject:
    """One of the business's files; someone else's or a missing one is the same NotFound."""
    found = MediaObject.objects.filter(business=business, uuid=media_uuid).first()
    if found is None:
        raise NotFound("No such media.")
    return found


def media_get_many(*, business: Business, media_uuids: list) -> list[MediaObject]:
    """The business's files in the order asked; any unknown id is a NotFound naming it."""
    wanted = [str(u) for u in media_uuids]
    found = {str(m.uuid): m for m in MediaObject.objects.filter(business=business, uuid__in=wanted)}
    missing = [u for u in wanted if u not in found]
    if missing:
        raise NotFound("No such media.", detail={"media": missing})
    return [found[u] for u in wanted]


def media_for_messages(*, business_id: int, message_ids: list[int]) -> dict[int, list[MediaObject]]:
    """The files each message carries, in order (one query for the batch)."""
    out: dict[int, list[MediaObject]] = defaultdict(list)
    if not message_ids:
        return out
    rows = (
        MediaAttachment.objects.filter(business_id=business_id, message_id__in=message_ids)
        .select_related("media")
        .order_by("message_id", "position", "id")
    )
    for row in rows:
        assert row.message_id is not None  # the filter
        out[row.message_id].append(row.media)
    return out


def media_for_broadcast(*, broadcast) -> list[MediaObject]:
    return [
        a.media
        for a in MediaAttachment.objects.filter(
            business_id=broadcast.business_id, broadcast=broadcast
        ).select_related("media")
    ]


def media_allowed_types() -> list[str]:
    """The content types staff allow (the MediaType table; its seed when it is empty)."""
    rows = list(MediaType.objects.values_list("content_type", "is_allowed"))
    if not rows:
        return sorted(DEFAULT_ALLOWED)
    return sorted(t for t, allowed in rows if allowed)


def media_url_token(media: MediaObject, *, max_age: int | None = None) -> str:
    """An unguessable, expiring token for one file: its random id and the moment it stops
    working, signed with the secret key (HMAC, django.core.signing)."""
    expires = int(time.time()) + (settings.MEDIA_URL_MAX_AGE if max_age is None else max_age)
    return signing.dumps({"m": media.uuid.hex, "e": expires}, salt=URL_SALT, compress=False)


def media_signed_url(media: MediaObject, *, max_age: int | None = None) -> str:
    """The absolute URL a carrier fetches the file from (MEDIA_PUBLIC_BASE_URL)."""
    token = media_url_token(media, max_age=max_age)
    path = reverse("media:signed", kwargs={"token": token, "name": _file_name(media)})
    return f"{settings.MEDIA_PUBLIC_BASE_URL}{path}"


def media_from_token(token: str) -> MediaObject | None:
    """The file a signed token names, or None when the signature is wrong or it expired."""
    try:
        data = signing.loads(token, salt=URL_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or int(data.get("e", 0)) < time.time():
        return None
    return MediaObject.objects.filter(uuid=str(data.get("m", ""))).first()


def _file_name(media: MediaObject) -> str:
    """A short, safe name for the carrier (letters and digits; Twilio asks ≤ 20 chars)."""
    stored = media.file.name or ""
    ext = stored.rsplit(".", 1)[-1] if "." in stored else "bin"
    return f"{media.uuid.hex[:12]}.{ext}"
