import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Business
from consent.models import Contact
from messaging.models import Message
from messaging.templating.models import MessageTemplate


class CalendarFeed(models.Model):
    """An iCalendar (.ics) URL of the business's booking system, polled by beat; each event
    with the client's phone becomes (or updates) an Appointment."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    url = models.URLField(max_length=1000)
    is_active = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["business", "name"], name="calfeed_biz_name")]

    def __str__(self) -> str:
        return self.name


class Appointment(models.Model):
    """A client's booking. BOOKED --reply C--> CONFIRMED; BOOKED/CONFIRMED --reply R-->
    RESCHEDULE_REQUESTED; any open state --cancel--> CANCELED; after the time the business
    marks COMPLETED or NO_SHOW. Moving it (a new ``starts_at``) moves its pending reminders;
    canceling cancels them."""

    class Status(models.TextChoices):
        BOOKED = "BOOKED", "Booked"
        CONFIRMED = "CONFIRMED", "Confirmed"
        RESCHEDULE_REQUESTED = "RESCHEDULE_REQUESTED", "Asked to reschedule"
        CANCELED = "CANCELED", "Canceled"
        COMPLETED = "COMPLETED", "Completed"
        NO_SHOW = "NO_SHOW", "No-show"

    OPEN = (Status.BOOKED, Status.CONFIRMED, Status.RESCHEDULE_REQUESTED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    title = models.CharField(max_length=200, blank=True)
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(max_length=8, default="api")  # api, csv, ical, portal
    # the booking system's id (the iCal UID, a CSV column, the API's external_id): unique
    # per business, so a repeated import or feed poll updates instead of duplicating
    external_id = models.CharField(max_length=255, blank=True)
    feed = models.ForeignKey(
        CalendarFeed, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)  # the client's confirm reply
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            # the portal's upcoming list and the dashboard's rates
            models.Index(fields=["business", "starts_at"], name="appt_biz_start"),
            models.Index(fields=["business", "contact"], name="appt_biz_contact"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "external_id"],
                condition=~models.Q(external_id=""),
                name="appt_biz_external",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title or 'Appointment'} {self.starts_at:%Y-%m-%d %H:%M}"


class ReminderRule(models.Model):
    """Send ``template`` ``minutes_before`` an appointment (e.g. 2,880 = 48 h), moved earlier
    out of quiet hours in the client's time zone. The reply words are shown in the text."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    minutes_before = models.PositiveIntegerField()
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="+")
    confirm_word = models.CharField(max_length=20, default="C")
    reschedule_word = models.CharField(max_length=20, default="R")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-minutes_before", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "minutes_before"], name="reminderrule_biz_offset"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """One rule's text for one appointment. PENDING --due--> SENT (its Message carries the
    gates' outcome) | SKIPPED (its time passed before it could go, or the appointment is not
    open); PENDING --appointment canceled--> CANCELED."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        SKIPPED = "SKIPPED", "Skipped"
        CANCELED = "CANCELED", "Canceled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    rule = models.ForeignKey(ReminderRule, on_delete=models.CASCADE, related_name="+")
    send_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["send_at", "id"]
        indexes = [
            # the beat task's "due now" scan across businesses
            models.Index(
                fields=["send_at"],
                condition=models.Q(status="PENDING"),
                name="reminder_due",
            ),
            models.Index(fields=["business", "appointment"], name="reminder_biz_appt"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["business", "appointment", "rule"], name="reminder_biz_appt_rule"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.send_at:%Y-%m-%d %H:%M} {self.status}"
