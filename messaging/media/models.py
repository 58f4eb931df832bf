"""MMS media: the types staff allow, the files (tenant-owned), and which message or
broadcast carries which file."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business

from . import sniff

# The allow-list's seed (migration 0002), used while the table is empty.
DEFAULT_ALLOWED = ("image/jpeg", "image/png", "image/gif", sniff.VCARD)


def media_storage():
    """The "mms" storage: a folder under var/ locally, S3-compatible storage in production
    (config/settings/base.py, MEDIA_S3_*)."""
    return storages["mms"]


class MediaType(models.Model):
    """One type of file a message may carry: the allow-list, data staff edit in the admin.
    Only types the product recognises by content can be listed (``sniff.SNIFFABLE``)."""

    content_type = models.CharField(
        max_length=40, unique=True, choices=[(t, t) for t in sniff.SNIFFABLE]
    )
    label = models.CharField(max_length=60)
    is_allowed = models.BooleanField(default=True)
    note = models.CharField(
        max_length=300, blank=True, help_text="Why it is allowed or not (carrier support)."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["content_type"]

    def __str__(self) -> str:
        return f"{self.label} ({self.content_type})"


class MediaObject(models.Model):
    """One stored file: a picture or a contact card, already cleaned (metadata stripped,
    made small enough) — the original is never stored. ``metadata_text`` is the text its
    original's metadata held, which the content policy judges with the caption."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        URL = "url", "Fetched from a URL"
        INBOUND = "inbound", "Received from a client"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="media")
    source = models.CharField(max_length=8, choices=Source.choices)
    content_type = models.CharField(max_length=40)
    name = models.CharField(max_length=120, blank=True)  # the file name given, cleaned
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=media_storage, upload_to="mms/", max_length=200)
    thumbnail = models.FileField(
        storage=media_storage, upload_to="mms/thumbs/", max_length=200, blank=True
    )
    metadata_text = models.TextField(blank=True)
    had_location = models.BooleanField(default=False)
    original_size = models.PositiveIntegerField(default=0)
    source_url = models.URLField(max_length=1000, blank=True)  # the URL it was fetched from
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # the business's media, newest first (API list, retention)
        indexes = [models.Index(fields=["business", "-created_at"], name="mediaobject_biz_time")]

    def __str__(self) -> str:
        return f"{self.content_type} {self.size} B"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def text_for_policy(self) -> str:
        """The file name and the metadata text: what the content policy reads besides the
        caption."""
        return " ".join(t for t in (self.name, self.metadata_text) if t)


class MediaAttachment(models.Model):
    """A file carried by a message (``message.media``) or by a broadcast (copied onto each
    recipient's message), in order."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    media = models.ForeignKey(MediaObject, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        "messaging.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="media"
    )
    broadcast = models.ForeignKey(
        "messaging.Broadcast",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(message__isnull=False, broadcast__isnull=True)
                | Q(message__isnull=True, broadcast__isnull=False),
                name="mediaattachment_one_owner",
            ),
        ]
        indexes = [
            # the files of a batch of messages (the drain, the inbox, the log)
            models.Index(
                fields=["business", "message"],
                condition=Q(message__isnull=False),
                name="mediaattachment_message",
            ),
            models.Index(
                fields=["business", "broadcast"],
                condition=Q(broadcast__isnull=False),
                name="mediaattachment_broadcast",
            ),
        ]

    def __str__(self) -> str:
        return f"media {self.media_id} #{self.position}"
