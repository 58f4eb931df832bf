"""Messages: one, a page, with their files; their outcome in words and a lane's wait."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Business
from accounts.text import sentences
from campaigns.selectors import carrier_limits

from ..errors import NotFound
from ..media import selectors as media_selectors
from ..models import Broadcast, Message, SendLane
from .numbers import business_zone

S = Message.Status
OUTBOUND, INBOUND = Message.Direction.OUTBOUND, Message.Direction.INBOUND


def _uuid_or_404(value, what: str):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound(f"{what} not found.") from None


def message_get(*, business: Business, message_uuid) -> Message:
    message = (
        Message.objects.select_related("contact", "from_number", "broadcast")
        .filter(business=business, uuid=_uuid_or_404(message_uuid, "Message"))
        .first()
    )
    if message is None:
        raise NotFound("Message not found.")
    return message


def messages_with_media(messages) -> list[Message]:
    """``messages`` with ``media_files`` set on each (the files it carries, in order): one
    query for the MMS among them, none when there is none."""
    rows = list(messages)
    mms = [m.pk for m in rows if m.media_count]
    found = (
        media_selectors.media_for_messages(business_id=rows[0].business_id, message_ids=mms)
        if mms
        else {}
    )
    for m in rows:
        m.media_files = found.get(m.pk, [])
    return rows


def message_by_idempotency_key(*, business: Business, key: str) -> Message | None:
    return (
        Message.objects.select_related("contact", "from_number", "broadcast")
        .filter(business=business, idempotency_key=key)
        .first()
    )


def _day_start(value, zone) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=zone)
    return datetime.combine(value, time.min, tzinfo=zone)


def message_list(
    *,
    business: Business,
    direction: str = "",
    statuses: list[str] | None = None,
    kind: str = "",
    contact=None,
    phone: str = "",
    broadcast: Broadcast | None = None,
    since: date | datetime | None = None,
    until: date | datetime | None = None,
) -> QuerySet[Message]:
    """Messages newest first with filters; ``until`` as a date includes that whole day (in
    the business's time zone)."""
    qs = Message.objects.filter(business=business).select_related(
        "contact", "from_number", "broadcast"
    )
    if direction:
        qs = qs.filter(direction=direction)
    if statuses:
        qs = qs.filter(status__in=statuses)
    if kind:
        qs = qs.filter(kind=kind)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if phone:
        digits = "".join(c for c in phone if c.isdigit())
        qs = qs.filter(to_phone__contains=digits) if digits else qs.none()
    if broadcast is not None:
        qs = qs.filter(broadcast=broadcast)
    zone = business_zone(business)
    if since:
        qs = qs.filter(created_at__gte=_day_start(since, zone))
    if until:
        if isinstance(until, datetime):
            qs = qs.filter(created_at__lte=_day_start(until, zone))
        else:
            qs = qs.filter(created_at__lt=_day_start(until, zone) + timedelta(days=1))
    return qs.order_by("-created_at", "-id")


@dataclass(frozen=True)
class Outcome:
    label: str  # sent, delivered, failed, skipped, deferred, waiting, held, canceled, expired
    tone: str  # ok / bad / warn / "" (badge class)
    reason: str  # a sentence, empty when there is nothing to explain


_OUTCOME: dict[str, tuple[str, str]] = {
    S.SENT: ("sent", "ok"),
    S.DELIVERED: ("delivered", "ok"),
    S.SENDING: ("sending", ""),
    S.QUEUED: ("waiting", ""),
    S.SCHEDULED: ("scheduled", ""),
    S.HELD: ("held for review", "warn"),
    S.BLOCKED: ("skipped", "bad"),
    S.UNDELIVERED: ("undelivered", "bad"),
    S.FAILED: ("failed", "bad"),
    S.CANCELED: ("canceled", ""),
    S.EXPIRED: ("expired", "warn"),
    S.RECEIVED: ("received", ""),
}


def message_status_choices() -> list[tuple[str, str]]:
    """Every status with the one word the portal shows for it (the message log's filter)."""
    return [(status, label.capitalize()) for status, (label, _) in _OUTCOME.items()]


@dataclass(frozen=True)
class LaneWait:
    """A limit a number's due messages wait for (SendLane.waiting_for), in words."""

    code: str  # number, campaign, brand_day, throttled
    until: datetime
    label: str
    sentence: str


def _wait_words(lane: SendLane, zone: ZoneInfo) -> LaneWait:
    until = lane.waiting_until
    assert until is not None
    at = until.astimezone(zone)
    clock = (
        f"{at:%H:%M:%S}" if until - timezone.now() < timedelta(hours=12) else f"{at:%b %d %H:%M}"
    )
    campaign = lane.number.campaign
    limits = carrier_limits(campaign=campaign) if campaign is not None else None
    if lane.waiting_for == "brand_day" and limits is not None:
        return LaneWait(
            "brand_day",
            until,
            "waiting for the brand's daily limit",
            f"Waiting for the brand's daily limit (T-Mobile: {limits.brand_daily:,} a day); "
            f"it resets at {at:%b %d %H:%M} ({zone.key}).",
        )
    if lane.waiting_for == "campaign" and limits is not None:
        return LaneWait(
            "campaign",
            until,
            "waiting for the campaign's limit",
            f"Waiting for the campaign's per-minute limit (AT&T: {limits.campaign_tpm:,} a "
            f"minute, shared by its numbers); next send around {clock}.",
        )
    if lane.waiting_for == "throttled":
        return LaneWait(
            "throttled",
            until,
            "waiting (carrier asked to slow down)",
            f"The carrier asked us to slow down; next try around {clock}.",
        )
    return LaneWait(
        "number",
        until,
        "waiting for the number's limit",
        f"Waiting for the number's limit ({settings.MESSAGING_RATE_LIMIT} a minute); next "
        f"send around {clock}.",
    )


def lane_waits(*, business: Business, number_ids) -> dict[int, LaneWait]:
    """The limits the given numbers' queues wait for now, by number id (one query)."""
    ids = {n for n in number_ids if n is not None}
    if not ids:
        return {}
    zone = business_zone(business)
    lanes = SendLane.objects.filter(
        business=business, number_id__in=ids, waiting_until__gt=timezone.now()
    ).exclude(waiting_for="")
    return {
        lane.number_id: _wait_words(lane, zone)
        for lane in lanes.select_related("number__campaign__brand")
    }


def message_outcome(message: Message, wait: LaneWait | None = None) -> Outcome:
    """What happened to a message, in words: its fate and the reason, if any. ``wait``
    (from ``lane_waits``) explains a queued message that waits for a limit."""
    label, tone = _OUTCOME.get(message.status, (message.status.lower(), ""))
    reasons = message.reasons or []
    if message.status == S.SCHEDULED and any(
        r.get("code") == "quiet_hours_deferred" for r in reasons
    ):
        label, tone = "deferred (quiet hours)", "warn"
    parts = [r.get("message") or r.get("code", "") for r in reasons if r]
    if message.status == S.QUEUED and wait is not None:
        label, tone = wait.label, "warn"
        parts.append(wait.sentence)
    if message.status in (S.FAILED, S.UNDELIVERED) and message.error_code:
        carrier = f"Carrier code {message.error_code}"
        parts.append(f"{carrier}: {message.error_message}" if message.error_message else carrier)
    return Outcome(label, tone, sentences(parts))
