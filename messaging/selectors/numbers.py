"""Sending numbers and their queues; the business's and a recipient's time zones."""

import contextlib
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Business
from campaigns.selectors import phone_number_with_campaign_get, phone_numbers_for_sending

from .. import quiet_hours, ratecap
from ..errors import NotFound
from ..models import Message


def sending_numbers(*, business: Business):
    return phone_numbers_for_sending(business=business).order_by("e164")


def sending_number_get(*, business: Business, number_uuid):
    return phone_number_with_campaign_get(business=business, number_uuid=number_uuid)


def number_queue(*, business: Business, number) -> dict:
    """A number's backlog and how long it takes to drain under the cap (time-to-drain)."""
    if number.business_id != business.pk:
        raise NotFound()
    waiting = Message.objects.filter(
        business=business, from_number=number, status__in=Message.WAITING
    )
    due = waiting.filter(send_after__lte=timezone.now()).aggregate(s=Sum("segments"))["s"] or 0
    return {
        "waiting": waiting.count(),
        "due_segments": due,
        "seconds_to_drain": ratecap.drain_seconds(
            segments=due,
            limit=settings.MESSAGING_RATE_LIMIT,
            window=settings.MESSAGING_RATE_WINDOW,
        ),
    }


def business_zone(business: Business) -> ZoneInfo:
    try:
        return ZoneInfo(business.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def recipient_zone(*, business: Business, contact=None, phone: str = "") -> ZoneInfo:
    """The contact's own zone, else the area code's first zone, else the business's."""
    candidates = []
    if contact is not None and contact.time_zone:
        candidates.append(contact.time_zone)
    if phone:
        # a phone the library cannot place simply adds no candidate
        with contextlib.suppress(Exception):
            candidates += quiet_hours.zones_for(phone)
    for name in candidates:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return business_zone(business)


def localize(value: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock time read in ``zone`` (aware values are kept as they are)."""
    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=zone)
