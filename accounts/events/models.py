"""Tenants' webhook endpoints and the deliveries of events to them (the outbox).

The two models moved down from ``messaging`` so that every app can emit events inside its
own transaction; their tables kept their names (``messaging_webhook*``): nothing was copied.
"""

from uuid import uuid4

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business


class WebhookEndpoint(models.Model):
    """A URL of the business that receives signed events.

    The secret signs every delivery (HMAC-SHA256 over "timestamp.body"); it must be readable
    to sign, so it is stored as is, shown in full only when created or rotated.
    """

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    business = models.ForeignKey(
        Business, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)  # event type names (catalog), the subscription
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "messaging_webhookendpoint"  # kept when the model moved here
        ordering = ["-created_at", "-id"]
        # event_emit: the active endpoints of one business
        indexes = [models.Index(fields=["business", "is_active"], name="webhookendpoint_biz")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts: the outbox row, written in the
    transaction that caused the event, sent after commit.

    PENDING --2xx--> SUCCEEDED;  --error--> RETRYING (next_attempt_at, backoff)
    RETRYING --2xx--> SUCCEEDED;  --error, attempts left--> RETRYING;  --last--> FAILED
    A resend is a new PENDING row with the same ``event_id`` (``resent_from`` the old one).
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RETRYING = "RETRYING", "Retrying"
        SUCCEEDED = "SUCCEEDED", "Delivered"
        FAILED = "FAILED", "Failed"

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)  # this delivery
    # the event (Webhook-Id, the envelope's "id"): one per event, shared by its endpoints
    # and by resends, so receivers deduplicate on it
    event_id = models.UUIDField(default=uuid4, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)  # the event type
    payload = models.JSONField(default=dict)  # the event's data
    test = models.BooleanField(default=False)  # "send test event": the envelope says so
    resent_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "messaging_webhookdelivery"  # kept when the model moved here
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
