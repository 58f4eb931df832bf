"""Reminders' part of data rights: a contact's appointments are erased with them and listed
in their export; past appointments go after the message-body retention period."""

from datetime import timedelta

from django.conf import settings

from accounts.privacy import inventory, retention
from consent import erasure

from .models import Appointment

RULE = "past appointments deleted after RETENTION_MESSAGE_BODY_DAYS"


def erase_contact_appointments(*, business, contact) -> dict:
    return {
        "appointments_deleted": Appointment.objects.filter(
            business=business, contact=contact
        ).delete()[0]
    }


def export_contact_appointments(*, business, contact) -> list[dict]:
    return [
        {
            "uuid": str(a.uuid),
            "starts_at": a.starts_at.isoformat(),
            "title": a.title,
            "location": a.location,
            "status": a.status,
            "source": a.source,
        }
        for a in Appointment.objects.filter(business=business, contact=contact).order_by(
            "starts_at"
        )
    ]


def purge_past_appointments(*, now, dry_run: bool) -> dict:
    old = Appointment.objects.filter(
        starts_at__lt=now - timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS)
    )
    if dry_run:
        return {"appointments": old.count()}
    return {"appointments": old.delete()[0]}


def register() -> None:
    erasure.register(erase_contact_appointments)
    erasure.register_exporter("appointments", export_contact_appointments)
    retention.register(RULE, purge_past_appointments)
    inventory.declare(
        "reminders.Appointment",
        ["title", "location"],
        erasure="deleted with the contact (erase_contact_appointments)",
        export="the contact's data export, appointments",
        retention=RULE,
    )
    inventory.not_personal(
        "reminders.CalendarFeed",
        ["name", "url", "last_result"],
        reason="the business's own booking-system feed and its last poll's summary",
    )
    inventory.not_personal(
        "reminders.ReminderRule", ["name"], reason="the business's label for a rule"
    )
    inventory.not_personal(
        "reminders.Reminder", ["note"], reason="why a reminder was skipped: our own words"
    )
