import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Business


class ContactField(models.Model):
    """A typed custom contact field of a business. Values live in ``Contact.custom_fields``
    under ``key``; the type decides how they are stored (numbers as numbers, dates as ISO
    ``YYYY-MM-DD``) and how segments compare them."""

    class Kind(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=40)
    label = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.TEXT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["business", "key"], name="contactfield_biz_key")
        ]

    def __str__(self) -> str:
        return self.label


class Segment(models.Model):
    """A saved, dynamic audience: ``filters`` (``filters.clean`` shape) is evaluated when
    used, so a broadcast to it reaches whoever matches at its start."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    filters = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "name"], name="segment_biz_name")
        ]

    def __str__(self) -> str:
        return self.name
