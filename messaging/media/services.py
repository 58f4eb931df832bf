"""Writes of media: a file from bytes (an upload), from a URL (the API, fetched once,
SSRF-safe), from a provider's copy of a client's picture; attaching files to a message or
a broadcast; deleting files from storage with their rows."""

import hashlib
import logging
import re
import unicodedata
import uuid as uuid_lib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from accounts.errors import ValidationFailed
from accounts.models import Business

from . import fetch, sniff
from .models import MediaAttachment, MediaObject, MediaType, media_storage
from .selectors import media_allowed_types

log = logging.getLogger(__name__)

NAME_MAX = 120


def clean_name(name: str) -> str:
    """The given file name without folders, control characters or oddities (it is shown to
    staff and judged by the content policy, never used as a path)."""
    name = unicodedata.normalize("NFKC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    return re.sub(r"\s+", " ", name).strip()[:NAME_MAX]


def _problem(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def media_create(
    *,
    business: Business,
    data: bytes,
    name: str = "",
    source: str = MediaObject.Source.UPLOAD,
    source_url: str = "",
    created_by=None,
    field: str = "file",
) -> MediaObject:
    """Store one file after deciding its type by content (the allow-list), stripping its
    metadata and shrinking a picture to the carriers' reliable size. Raises
    ``ValidationFailed`` naming ``field`` for anything that cannot be sent."""
    if not data:
        raise _problem(field, "The file is empty.")
    if len(data) > settings.MEDIA_UPLOAD_MAX_BYTES:
        raise _problem(field, f"At most {settings.MEDIA_UPLOAD_MAX_BYTES:,} bytes a file.")
    try:
        found = sniff.inspect(data, target_bytes=settings.MEDIA_IMAGE_TARGET_BYTES)
    except sniff.Unsupported as exc:
        raise _problem(field, str(exc)) from exc
    allowed = media_allowed_types()
    if found.content_type not in allowed:
        label = MediaType.objects.filter(content_type=found.content_type).first()
        what = label.label if label else found.content_type
        raise _problem(
            field,
            f"{what} files are not allowed; send one of: {', '.join(allowed) or 'none'}.",
        )
    if found.content_type == sniff.VCARD and len(found.data) > settings.MEDIA_VCARD_MAX_BYTES:
        raise _problem(
            field, f"A contact card may be at most {settings.MEDIA_VCARD_MAX_BYTES:,} bytes."
        )
    media_uuid = uuid_lib.uuid4()
    ext = sniff.EXTENSIONS[found.content_type]
    media = MediaObject(
        uuid=media_uuid,
        business=business,
        source=source,
        content_type=found.content_type,
        name=clean_name(name),
        size=len(found.data),
        sha256=hashlib.sha256(found.data).hexdigest(),
        width=found.width,
        height=found.height,
        metadata_text=found.metadata_text,
        had_location=found.had_location,
        original_size=found.original_bytes,
        source_url=source_url[:1000],
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )
    # Files first, the row after: a row never points at a missing file. Should the row fail,
    # the files go again.
    media.file.save(f"{media_uuid.hex}.{ext}", ContentFile(found.data), save=False)
    if media.is_image:
        media.thumbnail.save(
            f"{media_uuid.hex}.jpg", ContentFile(sniff.thumbnail(found.data)), save=False
        )
    try:
        media.save(force_insert=True)
    except Exception:
        _delete_files([media])
        raise
    return media


def _fetch_config(*, max_bytes: int | None = None, auth=None) -> fetch.FetchConfig:
    return fetch.FetchConfig(
        timeout=settings.MEDIA_FETCH_TIMEOUT,
        max_bytes=max_bytes or settings.MEDIA_UPLOAD_MAX_BYTES,
        allow_private=settings.MEDIA_FETCH_ALLOW_PRIVATE,
        auth=auth,
    )


def media_from_url(
    *, business: Business, url: str, created_by=None, field: str = "media_url"
) -> MediaObject:
    """Fetch ``url`` once (SSRF-safe: public addresses only, time-outs, a size limit) and
    store it as ``media_create`` does. The service other interfaces call with a URL they
    were given (the REST API, a Twilio-compatible API's ``MediaUrl``)."""
    try:
        got = fetch.fetch(url, config=_fetch_config())
    except fetch.FetchRefused as exc:
        raise _problem(field, str(exc)) from exc
    name = got.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return media_create(
        business=business,
        data=got.data,
        name=name,
        source=MediaObject.Source.URL,
        source_url=url,
        created_by=created_by,
        field=field,
    )


def media_receive_inbound(
    *, business: Business, urls: list[str], auth: tuple[str, str] | None = None
) -> tuple[list[MediaObject], list[str]]:
    """A client's pictures: each provider URL downloaded once, checked and stored as our
    own copy. Returns the files kept and a sentence for each one refused (the text is
    stored anyway; a bad attachment never loses the message)."""
    kept: list[MediaObject] = []
    problems: list[str] = []
    for url in urls[: settings.MEDIA_MAX_COUNT]:
        try:
            got = fetch.fetch(url, config=_fetch_config(auth=auth))
            kept.append(
                media_create(
                    business=business,
                    data=got.data,
                    source=MediaObject.Source.INBOUND,
                    source_url=url,
                )
            )
        except fetch.FetchRefused as exc:
            problems.append(str(exc))
        except ValidationFailed as exc:
            problems.append(exc.message)
    if len(urls) > settings.MEDIA_MAX_COUNT:
        problems.append(f"Only the first {settings.MEDIA_MAX_COUNT} files were kept.")
    return kept, problems


def media_check_set(*, media: list[MediaObject], field: str = "media") -> None:
    """A message's files within the count and total-size ceilings."""
    if len(media) > settings.MEDIA_MAX_COUNT:
        raise _problem(field, f"At most {settings.MEDIA_MAX_COUNT} files a message.")
    total = sum(m.size for m in media)
    if total > settings.MEDIA_MAX_TOTAL_BYTES:
        raise _problem(
            field,
            f"The files add up to {total:,} bytes; at most {settings.MEDIA_MAX_TOTAL_BYTES:,} "
            "a message.",
        )
    if len({m.business_id for m in media}) > 1:
        raise _problem(field, "Unknown media.")


def media_attach(
    *, business: Business, media: list[MediaObject], messages=(), broadcast=None
) -> None:
    """The same files, in order, on each of ``messages`` (or on ``broadcast``)."""
    rows = [
        MediaAttachment(business=business, media=m, message=msg, position=i)
        for msg in messages
        for i, m in enumerate(media)
    ]
    if broadcast is not None:
        rows += [
            MediaAttachment(business=business, media=m, broadcast=broadcast, position=i)
            for i, m in enumerate(media)
        ]
    MediaAttachment.objects.bulk_create(rows, batch_size=1000)


def _delete_files(media: list[MediaObject]) -> int:
    storage = media_storage()
    deleted = 0
    for m in media:
        for f in (m.file, m.thumbnail):
            if f and f.name:
                try:
                    storage.delete(f.name)
                    deleted += 1
                except OSError:  # already gone; the row goes anyway
                    log.warning("media file %s could not be deleted", f.name)
    return deleted


def media_delete(*, queryset) -> dict:
    """Delete files from storage, then their rows (with their attachments). The files go
    only once the rows are gone for good (after the transaction commits)."""
    media = list(queryset.only("id", "file", "thumbnail"))
    if not media:
        return {"media_deleted": 0}
    MediaObject.objects.filter(pk__in=[m.pk for m in media]).delete()
    transaction.on_commit(lambda: _delete_files(media))
    return {"media_deleted": len(media)}
