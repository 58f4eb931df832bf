"""Campaigns' events for tenants' webhooks (registered in the catalog of accounts.events from
CampaignsConfig.ready()): a campaign's status changes, and numbers bought and released,
emitted by campaigns' services inside the transaction of the change."""

from accounts.events.catalog import STRING, TIME, UUID, EventType, enum, nullable, obj
from accounts.events.services import event_emit

from .models import Campaign, PhoneNumber

_STATUS = enum(*Campaign.Status.values)
_NUMBER = {"number": UUID, "e164": STRING, "status": enum(*PhoneNumber.Status.values)}

EVENT_TYPES = (
    EventType(
        "campaign.status_changed",
        "A campaign moved (submitted, approved, rejected, suspended ...), by the registry, "
        "our staff or the business; reason says why.",
        obj(
            campaign=UUID,
            name=STRING,
            usecase=STRING,
            status=_STATUS,
            previous_status=_STATUS,
            reason=STRING,
            source=STRING,
            at=TIME,
        ),
        {
            "campaign": "7c6b5a49-3828-4716-a5f4-e3d2c1b0a998",
            "name": "Appointment reminders",
            "usecase": "CUSTOMER_CARE",
            "status": "APPROVED",
            "previous_status": "REVIEW",
            "reason": "",
            "source": "registry",
            "at": "2026-12-04T18:00:00+00:00",
        },
    ),
    EventType(
        "number.bought",
        "A number was rented for the business (on no campaign yet).",
        obj(**_NUMBER, at=TIME),
        {
            "number": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "e164": "+12025550100",
            "status": "ACTIVE",
            "at": "2026-12-04T18:00:00+00:00",
        },
    ),
    EventType(
        "number.released",
        "A number was given back to the provider; it sends nothing more.",
        obj(**_NUMBER, campaign=nullable(UUID), at=TIME),
        {
            "number": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "e164": "+12025550100",
            "status": "RELEASED",
            "campaign": None,
            "at": "2026-12-04T18:00:00+00:00",
        },
    ),
)


def register() -> None:
    from accounts.events import catalog

    catalog.register(*EVENT_TYPES)


def campaign_status_changed(*, campaign: Campaign, previous_status: str, reason: str, source: str):
    event_emit(
        business=campaign.business,
        type="campaign.status_changed",
        data={
            "campaign": campaign.uuid,
            "name": campaign.name,
            "usecase": campaign.usecase,
            "status": campaign.status,
            "previous_status": previous_status,
            "reason": reason,
            "source": source,
            "at": campaign.updated_at,
        },
    )


def number_bought(number: PhoneNumber) -> None:
    event_emit(
        business=number.business,
        type="number.bought",
        data={
            "number": number.uuid,
            "e164": number.e164,
            "status": number.status,
            "at": number.created_at,
        },
    )


def number_released(number: PhoneNumber, *, campaign_uuid) -> None:
    event_emit(
        business=number.business,
        type="number.released",
        data={
            "number": number.uuid,
            "e164": number.e164,
            "status": number.status,
            "campaign": campaign_uuid,
            "at": number.released_at,
        },
    )
