"""What the Twilio-compatible API keeps beside our messages: a message's StatusCallback URL,
and the callbacks (status callbacks, inbound forwards) with their attempts."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Business
from messaging.models import Message


class TwilioMessage(models.Model):
    """The Twilio-only parameters of a message created through the Twilio-compatible API."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="twilio")
    status_callback = models.URLField(max_length=500, blank=True)
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["business", "created_at"], name="twiliomessage_biz")]

    def __str__(self) -> str:
        return f"twilio {self.message_id}"


class TwilioCallback(models.Model):
    """One request to a business's URL, in Twilio's form (form-encoded, X-Twilio-Signature):
    a status callback of an outbound message, or an inbound text forwarded.

    The request is built from the message when it is sent (nothing personal is copied
    here): ``message_status`` is the status the callback reports.

        PENDING --2xx--> SUCCEEDED;  --error--> RETRYING (next_attempt_at, backoff)
        RETRYING --2xx--> SUCCEEDED;  --error, attempts left--> RETRYING;  --last--> FAILED
    """

    class Kind(models.TextChoices):
        STATUS = "status", "Status callback"
        INBOUND = "inbound", "Inbound message"

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        RETRYING = "RETRYING", "Retrying"
        SUCCEEDED = "SUCCEEDED", "Delivered"
        FAILED = "FAILED", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    url = models.URLField(max_length=500)
    message_status = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # the message a TwiML <Message> answer to an inbound forward became
    reply = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["business", "-created_at"], name="twiliocallback_biz"),
            # recovery: callbacks whose retry is due
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["PENDING", "RETRYING"]),
                name="twiliocallback_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_status} → {self.url} {self.status}"
