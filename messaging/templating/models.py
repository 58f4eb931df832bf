import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Business
from messaging.models import KIND_CHOICES


class MessageTemplate(models.Model):
    """A business's reusable text with merge fields (``merge.py``'s grammar). The body is
    checked when saved (grammar, and the policy engine on the text an empty recipient would
    get); every rendering is checked again by the send gates, since that is what is sent."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=KIND_CHOICES, default="informational")
    body = models.TextField()
    # the policy engine's verdict on the template itself when saved: allow or review
    verdict = models.CharField(max_length=10, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["business", "name"], name="template_biz_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def content_sid(self) -> str:
        """The template as Twilio's ``ContentSid`` (``HX`` + the uuid's hex), for the
        Twilio-compatible API (messaging/twilio_api/README.md)."""
        return f"HX{self.uuid.hex}"
