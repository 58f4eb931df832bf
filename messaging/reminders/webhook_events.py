"""The event reminders emit to tenants' webhooks, declared in the catalog (accounts.events)."""

from accounts.events.catalog import TIME, UUID, EventType, enum, obj

REPLY_EVENT = "appointment.reply"

APPOINTMENT_EVENTS = (
    EventType(
        REPLY_EVENT,
        "A client answered an appointment reminder: confirm (the appointment is CONFIRMED) "
        "or reschedule (RESCHEDULE_REQUESTED: call them).",
        obj(
            appointment=UUID,
            contact=UUID,
            message=UUID,
            action=enum("confirm", "reschedule"),
            status=enum("CONFIRMED", "RESCHEDULE_REQUESTED"),
            starts_at=TIME,
        ),
        {
            "appointment": "5d1c2a7e-3b8f-4f1a-9a51-0c2e3d4f5a6b",
            "contact": "0b8f7e6d-5c4b-4a39-8827-161514131211",
            "message": "9a8b7c6d-5e4f-4321-8fed-cba987654321",
            "action": "confirm",
            "status": "CONFIRMED",
            "starts_at": "2026-12-08T21:00:00+00:00",
        },
    ),
)


def register() -> None:
    from accounts.events import catalog

    catalog.register(*APPOINTMENT_EVENTS)
