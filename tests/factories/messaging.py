"""Factories for messaging: a ready number, a consenting contact, messages."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from messaging import quiet_hours
from messaging.models import Message
from tests.factories.accounts import BusinessFactory
from tests.factories.campaigns import PhoneNumberFactory
from tests.factories.consent import opted_in_contact

_n = iter(range(10**6))


def sending_number(*, business, e164: str | None = None, **kwargs):
    """An ACTIVE number on an APPROVED automated MIXED campaign of ``business``."""
    return PhoneNumberFactory(
        business=business, e164=e164 or f"+1312555{next(_n) % 10000:04d}", **kwargs
    )


def consenting_contact(*, business, number, phone: str | None = None, **kwargs):
    """A contact with confirmed marketing consent for the number's campaign."""
    phone = phone or f"+1646555{next(_n) % 10000:04d}"
    return opted_in_contact(business=business, campaign=number.campaign, phone=phone, **kwargs)


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    business = factory.SubFactory(BusinessFactory)
    direction = Message.Direction.OUTBOUND
    to_phone = factory.Sequence(lambda n: f"+1646556{n % 10000:04d}")
    body = "Your cleaning is on Tuesday at 3pm. Reply STOP to opt out."
    kind = "informational"
    status = Message.Status.QUEUED
    send_after = factory.LazyFunction(timezone.now)


def queued_status_now(phone: str) -> str:
    """What a marketing or informational text accepted now for ``phone`` waits as: QUEUED in
    the recipient's daytime, SCHEDULED (to the end of quiet hours) when the suite runs at
    night there. Tests that are not about quiet hours assert this instead of QUEUED."""
    zones = quiet_hours.zones_for(phone)
    closed = quiet_hours.next_allowed(
        timezone.now(), zones=zones, window=quiet_hours.window_for(phone)
    )
    return Message.Status.SCHEDULED if closed else Message.Status.QUEUED
