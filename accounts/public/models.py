"""The public site's requests: demo/onboarding appointments and support requests.

Moved from accounts with their tables (``db_table``), so the data stays where it was.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppointmentRequest(models.Model):
    """Someone asked for a demo or an onboarding call. Staff schedule it from the admin.

    NEW --staff books a time--> SCHEDULED --> DONE;  NEW/SCHEDULED --> CANCELED
    """

    class Topic(models.TextChoices):
        DEMO = "DEMO", "A demo of the product"
        ONBOARDING = "ONBOARDING", "Help setting up my account"

    class Status(models.TextChoices):
        NEW = "NEW", "New"
        SCHEDULED = "SCHEDULED", "Scheduled"
        DONE = "DONE", "Done"
        CANCELED = "CANCELED", "Canceled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=12, choices=Topic.choices, default=Topic.DEMO)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=32)
    preferred_times = models.TextField(help_text="When the requester can talk, in their words")
    time_zone = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    staff_note = models.TextField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)  # our email went out
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_appointmentrequest"  # from before the public site's split
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="appt_status_time")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.get_topic_display()})"


class SupportRequest(models.Model):
    """A question from a member or a visitor; staff answer it in the admin, which emails
    the answer to the requester.

    OPEN --staff answers--> ANSWERED --> CLOSED (or OPEN again on a follow-up)
    """

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        ANSWERED = "ANSWERED", "Answered"
        CLOSED = "CLOSED", "Closed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    business = models.ForeignKey(
        "accounts.Business", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)  # the answer email went out
    acknowledged_at = models.DateTimeField(null=True, blank=True)  # the receipt email went out
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "accounts_supportrequest"  # from before the public site's split
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="support_status_time")]

    def __str__(self) -> str:
        return f"{self.subject} — {self.email}"
