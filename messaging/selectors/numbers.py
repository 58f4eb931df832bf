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

from accounts.billing import selectors as billing_selectors
from accounts.db import columns, instance, read_health_checked, width
from accounts.models import Business
from accounts.selectors import (
    API_KEY_WHERE,
    api_key_columns,
    api_key_from,
    api_key_of,
    api_key_width,
)
from campaigns.models import Campaign, PhoneNumber
from campaigns.selectors import phone_number_with_campaign_get, phone_numbers_for_sending
from consent import selectors as consent_selectors
from consent.models import Contact
from policies import selectors as policy_selectors

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
    ids = _uuids(contact_uuid, number_uuid)
    with connection.cursor() as cursor:
        cursor.execute(_contact_and_number_sql(), [business.pk, ids[0], business.pk, ids[1]])
        row = cursor.fetchone()
    return _contact_and_number_of(row)


def api_key_contact_and_number_find(*, prefix: str, contact_uuid, number_uuid) -> tuple:
    """``accounts.selectors.api_key_for_prefix`` and ``contact_and_number_find`` for the key's
    business, in one statement (the first of a send through the API: one round trip less,
    and the connection's health check): (key, contact, number), the key None when no key
    has ``prefix`` (then neither is read), revoked or not (``api_key_authenticate`` decides;
    what was read with a key it refuses is not used)."""
    ids = _uuids(contact_uuid, number_uuid)

    def read():
        with connection.cursor() as cursor:
            cursor.execute(_api_key_contact_and_number_sql(), [ids[0], ids[1], prefix])
            return cursor.fetchone()

    row = read_health_checked(read)
    if row is None:
        return None, None, None
    key = api_key_of(row)
    # and what the gates read of the business and the contact, each given to its owner's
    # selector: the billing standing (the send's 402: no cache round trip), the policy hold
    # and the consent gate's states and suppression (no statements of their own)
    start = api_key_width()
    end = start + billing_selectors.STANDING_WIDTH
    billing_selectors.standing_attach(key.business, row[start:end])
    policy_selectors.hold_attach(key.business, row[end])
    consent_values = row[end + 1 : end + 1 + consent_selectors.CONSENT_WIDTH]
    contact, number = _contact_and_number_of(row[end + 1 + consent_selectors.CONSENT_WIDTH :])
    if contact is not None:
        campaign_id = None if number is None else number.campaign_id
        consent_selectors.consent_attach(contact, consent_values, campaign_id=campaign_id)
    return key, contact, number


def _uuids(*values) -> list[uuid.UUID | None]:
    ids: list[uuid.UUID | None] = []
    for value in values:
        try:
            ids.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            ids.append(None)  # matches no row
    return ids


def _contact_and_number_of(row) -> tuple:
    nc, nn = width(Contact), width(PhoneNumber)
    contact = None if row[0] is None else instance(Contact, row[:nc])
    number = None
    if row[nc] is not None:
        number = instance(PhoneNumber, row[nc : nc + nn])
        # a number on no campaign: NULL columns of the outer join
        rest = row[nc + nn :]
        number.campaign = None if rest[0] is None else instance(Campaign, rest)
    return contact, number


def _contact_and_number_joins(business: str) -> str:
    """The contact (``ct``), the number (``n``) and its campaign (``c``) of the business
    whose id is the SQL ``business``, each an outer join on its own key (a miss is a NULL
    half); parameters: the contact's uuid, the number's (after ``business``'s own)."""
    quote = connection.ops.quote_name
    return (
        f"LEFT JOIN {quote(Contact._meta.db_table)} ct "
        f"ON ct.business_id = {business} AND ct.uuid = %s "
        f"LEFT JOIN {quote(PhoneNumber._meta.db_table)} n "
        f"ON n.business_id = {business} AND n.uuid = %s "
        f"LEFT JOIN {quote(Campaign._meta.db_table)} c ON c.id = n.campaign_id"
    )


def _contact_and_number_columns() -> str:
    return f"{columns(Contact, 'ct')}, {columns(PhoneNumber, 'n')}, {columns(Campaign, 'c')}"


@functools.cache
def _contact_and_number_sql() -> str:
    # one row whatever is found: each table joined to a constant row on its own key; the
    # business id is a parameter before each uuid
    return (
        f"SELECT {_contact_and_number_columns()} FROM (SELECT 1) one "  # noqa: S608 - our names
        + _contact_and_number_joins("%s")
    )


@functools.cache
def _api_key_contact_and_number_sql() -> str:
    standing, billing = billing_selectors.standing_join(alias="ba", business="k.business_id")
    hold = policy_selectors.hold_column(business="k.business_id")
    consent = consent_selectors.consent_columns(contact="ct", campaign_id="n.campaign_id")
    return (
        f"SELECT {api_key_columns()}, {standing}, {hold}, {consent}, "
        f"{_contact_and_number_columns()} "
        f"{api_key_from()} {billing} {_contact_and_number_joins('k.business_id')} "
        f"{API_KEY_WHERE}"
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
