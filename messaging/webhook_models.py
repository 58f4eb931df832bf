"""Models of the messaging interface layer: tenants' outbound webhook endpoints and their
delivery log. messaging/models.py imports this module (one line at its bottom), so the
models belong to the messaging app and its migrations; the inbox models come along below.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business

__all__ = ["WEBHOOK_EVENTS", "Conversation", "QuickReply", "WebhookDelivery", "WebhookEndpoint"]

WEBHOOK_EVENTS = ("message.status", "message.inbound")


class WebhookEndpoint(models.Model):
    """A URL of the business that receives signed events.

    The secret signs every delivery (HMAC-SHA256 over "timestamp.body"); it must be readable
    to sign, so it is stored as is, shown in full only when created or rotated.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # subset of WEBHOOK_EVENTS
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        # webhook_emit: the active endpoints of one business
        indexes = [models.Index(fields=["business", "is_active"], name="webhookendpoint_biz")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts.

    PENDING --2xx--> SUCCEEDED;  --error--> RETRYING (next_attempt_at, backoff)
    RETRYING --2xx--> SUCCEEDED;  --error, attempts left--> RETRYING;  --last--> FAILED
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RETRYING = "RETRYING", "Retrying"
        SUCCEEDED = "SUCCEEDED", "Delivered"
        FAILED = "FAILED", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)  # the event id
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the delivery log of one endpoint, newest first
            models.Index(
                fields=["business", "endpoint", "-created_at"], name="webhookdelivery_log"
            ),
            # recovery: deliveries whose retry is due (a lost task never loses an event)
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["PENDING", "RETRYING"]),
                name="webhookdelivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} {self.status}"


class Conversation(models.Model):
    """Inbox state of the thread with one contact: who handles it and what was read."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(
        "consent.Contact", on_delete=models.CASCADE, related_name="conversations"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "contact"], name="conversation_contact")
        ]

    def __str__(self) -> str:
        return f"conversation {self.contact_id}"


class QuickReply(models.Model):
    """A saved answer staff insert into a reply with one click."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=60)
    body = models.TextField(max_length=640)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["business", "title"], name="quickreply_biz")]

    def __str__(self) -> str:
        return self.title


# Registers the webhook delivery tasks in every process that loads the models (workers
# autodiscover only messaging.tasks, which the send-path module owns).
from . import tenant_webhooks  # noqa: E402,F401
