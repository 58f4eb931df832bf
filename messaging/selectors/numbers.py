"""Sending numbers and their queues; the business's and a recipient's time zones."""

import contextlib
import functools
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from accounts.db import columns, instance, width
from accounts.models import Business
from campaigns.models import Campaign, PhoneNumber
from campaigns.selectors import phone_number_with_campaign_get, phone_numbers_for_sending
from consent.models import Contact

from .. import quiet_hours, ratecap
from ..errors import NotFound
from ..models import Message


def sending_numbers(*, business: Business):
    return phone_numbers_for_sending(business=business).order_by("e164")


def sending_number_get(*, business: Business, number_uuid):
    return phone_number_with_campaign_get(business=business, number_uuid=number_uuid)


def contact_and_number_find(*, business: Business, contact_uuid, number_uuid) -> tuple:
    """The business's contact and its sending number with the number's campaign (what a send
    naming both reads: ``consent.selectors.contact_get`` and ``sending_number_get``) in one
    statement instead of two: a send through the API asks it. Each is None when it is
    missing, another business's, or its id is malformed; the caller words each refusal."""
    ids: list[uuid.UUID | None] = []
    for value in (contact_uuid, number_uuid):
        try:
            ids.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            ids.append(None)  # matches no row
    with connection.cursor() as cursor:
        cursor.execute(_contact_and_number_sql(), [business.pk, ids[0], business.pk, ids[1]])
        row = cursor.fetchone()
    nc, nn = width(Contact), width(PhoneNumber)
    contact = None if row[0] is None else instance(Contact, row[:nc])
    number = None
    if row[nc] is not None:
        number = instance(PhoneNumber, row[nc : nc + nn])
        # a number on no campaign: NULL columns of the outer join
        rest = row[nc + nn :]
        number.campaign = None if rest[0] is None else instance(Campaign, rest)
    return contact, number


@functools.cache
def _contact_and_number_sql() -> str:
    quote = connection.ops.quote_name
    # one row whatever is found: each table joined to a constant row on its own key
    return (
        f"SELECT {columns(Contact, 'ct')}, {columns(PhoneNumber, 'n')}, "  # noqa: S608 - our names
        f"{columns(Campaign, 'c')} FROM (SELECT 1) one "
        f"LEFT JOIN {quote(Contact._meta.db_table)} ct "
        "ON ct.business_id = %s AND ct.uuid = %s "
        f"LEFT JOIN {quote(PhoneNumber._meta.db_table)} n "
        "ON n.business_id = %s AND n.uuid = %s "
        f"LEFT JOIN {quote(Campaign._meta.db_table)} c ON c.id = n.campaign_id"
    )


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
