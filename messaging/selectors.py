"""Reads of messaging, for the API, the portal and other apps. Every selector takes the
business; an id from a request that is missing or someone else's is the same NotFound."""

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.models import Business
from accounts.text import sentences
from campaigns.selectors import (
    carrier_limits,
    phone_number_with_campaign_get,
    phone_numbers_for_sending,
)
from consent.audiences.selectors import segment_members
from consent.models import Contact
from consent.phones import InvalidPhone, normalize
from consent.selectors import (
    ConsentDecision,
    consent_check,
    contact_for_phone,
    contact_states,
    contacts_for_audience,
)

from . import quiet_hours, ratecap
from .carrier_limits import period_bounds
from .errors import NotFound, ValidationFailed
from .gates import Candidate, automated_for, message_gates, reply_window
from .media import selectors as media_selectors
from .models import BrandDay, Broadcast, Conversation, Message, QuickReply, SendLane
from .segments import segment_info
from .templating.selectors import renderings_summary

S = Message.Status
OUTBOUND, INBOUND = Message.Direction.OUTBOUND, Message.Direction.INBOUND


def _uuid_or_404(value, what: str):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound(f"{what} not found.") from None


# --- messages -------------------------------------------------------------------------------------


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


# --- broadcasts -----------------------------------------------------------------------------------


def broadcast_get(*, business: Business, broadcast_uuid) -> Broadcast:
    broadcast = (
        Broadcast.objects.select_related("from_number")
        .filter(business=business, uuid=_uuid_or_404(broadcast_uuid, "Broadcast"))
        .first()
    )
    if broadcast is None:
        raise NotFound("Broadcast not found.")
    return broadcast


def broadcast_list(*, business: Business) -> QuerySet[Broadcast]:
    return (
        Broadcast.objects.filter(business=business)
        .select_related("from_number", "segment")
        .order_by("-created_at", "-id")
    )


PENDING_STATUSES = (S.QUEUED, S.SCHEDULED, S.SENDING, S.HELD)
SENT_STATUSES = (S.SENT, S.DELIVERED)
SKIPPED_STATUSES = (S.BLOCKED, S.CANCELED, S.EXPIRED)
FAILED_STATUSES = (S.FAILED, S.UNDELIVERED)


def broadcast_progress(*, broadcast: Broadcast) -> dict:
    """Counts of the broadcast's messages by status, one aggregate query (the broadcast
    comes from ``broadcast_get``, which took the business)."""
    counts = dict(
        Message.objects.filter(business_id=broadcast.business_id, broadcast=broadcast)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    created = sum(counts.values())
    pending = sum(counts.get(s, 0) for s in PENDING_STATUSES)
    sent = sum(counts.get(s, 0) for s in SENT_STATUSES)
    skipped = sum(counts.get(s, 0) for s in SKIPPED_STATUSES)
    failed = sum(counts.get(s, 0) for s in FAILED_STATUSES)
    recipients = max(broadcast.recipient_count, created)
    done = created - pending
    return {
        "status": broadcast.status,
        "recipients": recipients,
        "created": created,
        "pending": pending,
        "sent": sent,
        "delivered": counts.get(S.DELIVERED, 0),
        "skipped": skipped,
        "failed": failed,
        "deferred": counts.get(S.SCHEDULED, 0),
        "held": counts.get(S.HELD, 0),
        "done": done,
        "percent": round(100 * done / recipients, 1) if recipients else 0.0,
        "by_status": counts,
    }


def broadcast_recipients(*, broadcast: Broadcast, outcome: str = "") -> QuerySet[Message]:
    """The broadcast's messages (one per recipient), newest first; ``outcome`` narrows them
    to sent, skipped, failed or pending (the broadcast comes from ``broadcast_get``)."""
    qs = Message.objects.filter(
        business_id=broadcast.business_id, broadcast=broadcast
    ).select_related("contact")
    groups = {
        "sent": SENT_STATUSES,
        "skipped": SKIPPED_STATUSES,
        "failed": FAILED_STATUSES,
        "pending": PENDING_STATUSES,
    }
    if outcome in groups:
        qs = qs.filter(status__in=groups[outcome])
    return qs.order_by("-created_at", "-id")


def broadcast_estimate(
    *, recipients: int, segments: int, backlog_segments: int = 0, number=None
) -> float:
    """Seconds a broadcast needs on one number under the cap (after what is queued there),
    and under the carriers' limits of its campaign and brand when ``number`` is given."""
    return broadcast_pace(
        recipients=recipients, segments=segments, backlog_segments=backlog_segments, number=number
    )[0]


def broadcast_pace(
    *, recipients: int, segments: int, backlog_segments: int = 0, number=None
) -> tuple[float, str]:
    """(seconds, the limit that sets the pace: number, campaign or brand_day)."""
    total = recipients * segments + backlog_segments
    limit, window = settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW
    campaign = getattr(number, "campaign", None)
    if campaign is None or not settings.MESSAGING_CARRIER_LIMITS:
        return ratecap.drain_seconds(segments=total, limit=limit, window=window), "number"
    limits = carrier_limits(campaign=campaign)
    bound = "campaign" if limits.campaign_tpm < limit else "number"
    per_window = min(limit, limits.campaign_tpm)
    now = timezone.now().timestamp()
    start, end = period_bounds(now)
    used = (
        BrandDay.objects.filter(
            business_id=campaign.business_id,
            brand_id=campaign.brand_id,
            period_start=datetime.fromtimestamp(start, tz=UTC),
        )
        .values_list("used", flat=True)
        .first()
        or 0
    )
    seconds, by_day = ratecap.drain_seconds_capped(
        segments=total,
        limit=per_window,
        window=window,
        day_left=max(0, limits.brand_daily - used),
        daily=limits.brand_daily,
        day_ends_in=end - now,
        day_length=end - start,
    )
    return seconds, "brand_day" if by_day else bound


PACE_WORDS = {
    "number": "",
    "campaign": "The campaign's per-minute limit (AT&T) is below the number's: it sets the pace.",
    "brand_day": "More than the brand's daily limit (T-Mobile) allows today: the rest waits for "
    "the next day (midnight Pacific time).",
}


def broadcast_audience(
    *, business: Business, tags=None, contact_uuids=None, segment=None
) -> QuerySet[Contact]:
    """A broadcast's recipients now: a saved segment's members, else tags and/or contacts."""
    if segment is not None:
        return segment_members(segment=segment)
    return contacts_for_audience(
        business=business, tags=tags or None, contact_uuids=contact_uuids or None
    )


def broadcast_renderings(*, business: Business, body: str, audience: QuerySet[Contact]) -> dict:
    """Every recipient's text for a body with merge fields: how many distinct ones, the
    longest (by segments) and examples; a body without merge fields is its own rendering."""
    return renderings_summary(
        business=business,
        body=body,
        # The caller's audience is scoped already; filtering again keeps another business's
        # contacts out even if a caller passes the wrong queryset.
        contacts=audience.filter(business=business)
        .only("id", "name", "custom_fields")
        .iterator(chunk_size=2000),
    )


def broadcast_preview(
    *,
    business: Business,
    body: str,
    from_number,
    tags=None,
    contact_uuids=None,
    segment=None,
    media_count: int = 0,
) -> dict:
    """Audience size and the time it will take under the cap, without writing; with merge
    fields, the segments are the longest rendering's (every recipient is counted at most);
    with files (an MMS) one message each, whatever the text's length."""
    audience = broadcast_audience(
        business=business, tags=tags, contact_uuids=contact_uuids, segment=segment
    )
    recipients = audience.count()
    renderings = broadcast_renderings(business=business, body=body or "", audience=audience)
    info = segment_info(renderings["longest"])
    backlog = 0
    if from_number is not None:
        backlog = sum(
            Message.objects.filter(
                business=business, from_number=from_number, status__in=Message.WAITING
            ).values_list("segments", flat=True)
        )
    seconds, pace = broadcast_pace(
        recipients=recipients,
        segments=1 if media_count else info.segments,
        backlog_segments=backlog,
        number=from_number,
    )
    return {
        "recipients": recipients,
        "segments_per_message": 1 if media_count else info.segments,
        "encoding": info.encoding,
        "backlog_segments": backlog,
        "renderings": renderings["distinct"],
        "longest": renderings["longest"],
        "examples": renderings["examples"],
        "estimate_seconds": seconds,
        "limited_by": pace,
        "limited_by_words": PACE_WORDS[pace],
    }


def duration_words(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = round(seconds)
    if seconds < 60:
        return "under a minute"
    minutes = -(-seconds // 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    return f"about {hours} h {rest} min"


# --- sending numbers, time zones ------------------------------------------------------------------


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


# --- compose pre-check ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MmsPrice:
    """What a text costs as SMS segments and as one MMS (the business's billing plan)."""

    segments: int
    sms: float  # this text as SMS: segments x the segment price
    mms: float  # one MMS, whatever the caption's length
    is_mms: bool

    @property
    def words(self) -> str:
        if self.is_mms:
            return (
                f"With a picture or card this is one MMS: ${self.mms:.4f}, whatever the "
                f"text's length (as a plain text it would be {self.segments} segment"
                f"{'s' if self.segments != 1 else ''}, ${self.sms:.4f})."
            )
        return (
            f"A plain text of {self.segments} segment{'s' if self.segments != 1 else ''}: "
            f"${self.sms:.4f}. Adding a picture or card makes it one MMS at ${self.mms:.4f}."
        )


def mms_price(*, business: Business, segments: int, media_count: int) -> dict:
    """The business's own prices (its billing plan: accounts.billing), in dollars."""
    sms_subcents, mms_subcents = billing_selectors.unit_prices(business=business)
    price = MmsPrice(
        segments=segments,
        sms=max(1, segments) * sms_subcents / 10_000,
        mms=mms_subcents / 10_000,
        is_mms=media_count > 0,
    )
    return {"sms": price.sms, "mms": price.mms, "is_mms": price.is_mms, "words": price.words}


def compose_precheck(
    *,
    business: Business,
    body: str,
    kind: str,
    phone: str = "",
    contact=None,
    from_number=None,
    send_at: datetime | None = None,
    media=(),
) -> dict:
    """A dry run of the send gates for the compose page: nothing is written (a contact
    that does not exist yet is checked as having no consent). ``media``: the files it
    would carry (an MMS: one message, judged with their names and metadata text)."""
    info = segment_info(body or "")
    result: dict = {
        "segments": info.as_dict(),
        "gates": [],
        "verdict": "allow",
        "to": "",
        "price": mms_price(business=business, segments=info.segments, media_count=len(media)),
    }
    errors: dict[str, list[str]] = {}
    if contact is None and phone:
        try:
            phone = normalize(phone)
        except InvalidPhone as exc:
            errors["to"] = [str(exc)]
        else:
            contact = contact_for_phone(business=business, phone=phone)
    elif contact is not None:
        phone = contact.phone_e164
    if not phone and "to" not in errors:
        errors["to"] = ["Enter a phone number or choose a contact."]
    if not (body or "").strip() and not media:
        errors["body"] = ["Write the message."]
    if errors:
        raise ValidationFailed(fields=errors)
    if from_number is None:
        from_number = sending_numbers(business=business).first()
    result["to"] = phone
    result["from_number"] = from_number.e164 if from_number is not None else ""
    now = timezone.now()
    (decision,) = message_gates(
        business=business,
        items=[
            Candidate(
                contact=contact,
                body=body,
                kind=kind,
                from_number=from_number,
                # the compose page: a person's send-now, automated when scheduled
                automated=automated_for(channel="portal", scheduled=send_at is not None),
                to_phone=phone,
                due=max(send_at, now) if send_at else now,
                media_count=len(media),
                media_text=" ".join(m.text_for_policy for m in media),
            )
        ],
        now=now,
    )
    out = []
    for g in decision.gates:
        message = g.message
        if g.verdict == "defer" and decision.defer_until is not None:
            zone = recipient_zone(business=business, contact=contact, phone=phone)
            message = (
                "Quiet hours where the recipient lives: it will wait until "
                f"{decision.defer_until.astimezone(zone):%Y-%m-%d %H:%M %Z}."
            )
        out.append(
            {
                "gate": g.gate,
                "ok": g.ok,
                "code": g.code,
                "message": message,
                "verdict": g.verdict,
                "detail": g.detail,
            }
        )
    result["gates"] = out
    result["verdict"] = decision.verdict
    return result


# --- inbox ----------------------------------------------------------------------------------------


def inbox_threads(*, business: Business, assigned: str = "", user=None) -> QuerySet:
    """One row per contact who texted in: last message time and text, unread inbound count
    (since the thread was last opened), assignee. ``assigned``: "me", "none" or ""."""
    conv = Conversation.objects.filter(business=business, contact=OuterRef("pk"))
    last = Message.objects.filter(business=business, contact=OuterRef("pk")).order_by(
        "-created_at", "-id"
    )
    qs = (
        Contact.objects.filter(business=business)
        .filter(Exists(Message.objects.filter(contact=OuterRef("pk"), direction=INBOUND)))
        .annotate(
            read_at=Subquery(conv.values("last_read_at")[:1]),
            assignee_id=Subquery(conv.values("assigned_to")[:1]),
            assignee_email=Subquery(conv.values("assigned_to__email")[:1]),
        )
        .annotate(
            last_at=Max("messages__created_at"),
            unread=Count(
                "messages",
                filter=Q(messages__direction=INBOUND)
                & (Q(read_at__isnull=True) | Q(messages__created_at__gt=F("read_at"))),
            ),
            last_body=Subquery(last.values("body")[:1]),
            last_direction=Subquery(last.values("direction")[:1]),
        )
    )
    if assigned == "me" and user is not None:
        qs = qs.filter(assignee_id=user.pk)
    elif assigned == "none":
        qs = qs.filter(assignee_id__isnull=True)
    return qs.order_by("-last_at", "-id")


def thread_messages(*, business: Business, contact, limit: int = 200) -> list[Message]:
    rows = list(
        Message.objects.filter(business=business, contact=contact)
        .select_related("from_number", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    rows.reverse()
    return messages_with_media(rows)


def conversation_for(*, business: Business, contact) -> Conversation | None:
    return (
        Conversation.objects.select_related("assigned_to")
        .filter(business=business, contact=contact)
        .first()
    )


def quick_reply_list(*, business: Business) -> QuerySet[QuickReply]:
    return QuickReply.objects.filter(business=business).order_by("title", "id")


def quick_reply_get(*, business: Business, reply_uuid) -> QuickReply:
    reply = QuickReply.objects.filter(
        business=business, uuid=_uuid_or_404(reply_uuid, "Quick reply")
    ).first()
    if reply is None:
        raise NotFound("Quick reply not found.")
    return reply


def consent_summary(*, business: Business, contact) -> dict:
    """The person's consent beside the thread: per-scope states and what may be sent now."""
    states = contact_states(business=business, contact=contact)
    numbers = sending_numbers(business=business)
    number = numbers.first()
    campaign = number.campaign if number is not None else None
    marketing = consent_check(
        business=business, contact=contact, kind="marketing", campaign=campaign
    )
    last = contact.last_inbound_at  # a reply rests on the conversation only within the window
    reply = consent_check(
        business=business,
        contact=contact,
        kind="conversational",
        campaign=campaign,
        is_reply=last is not None and timezone.now() - last <= reply_window(),
    )
    if not reply.allowed and reply.code == "conversation_only":
        hours = reply_window().total_seconds() / 3600
        reply = ConsentDecision(
            False,
            "reply_window_closed",
            f"The contact last texted more than {hours:g} hours ago; without consent, a reply "
            "must answer their own text within that time.",
        )
    return {"states": states, "marketing": marketing, "reply": reply}


def reviewed_message_labels() -> Iterator[dict]:
    """Staff decisions on held messages as labelled rows in the training corpus's format
    (``manage.py policy_export_labels messages``): released is ``allow``, rejected is
    ``block`` with the category the content gate named. Erased bodies are left out."""
    reviewed = (
        Message.objects.filter(reasons__contains=[{"gate": "review"}])
        .exclude(body="")
        .select_related("business")
        .order_by("id")
    )
    for message in reviewed.iterator(chunk_size=500):
        reasons = message.reasons or []
        released = any(r.get("gate") == "review" and r.get("code") == "released" for r in reasons)
        category = next(
            (
                c
                for r in reasons
                if r.get("gate") == "policy"
                for c in (r.get("detail") or {}).get("categories", [])
            ),
            None,
        )
        yield {
            "id": f"staff-m-{message.uuid}",
            "body": message.body,
            "kind": message.kind,
            "brand_domains": list(message.business.brand_domains or []),
            "expected": "allow" if released else "block",
            "category": None if released else category,
            "evasive": False,
        }
