"""Broadcasts: one, the list, progress, recipients, estimate, pace, audience, preview."""

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from accounts.models import Business
from campaigns.selectors import carrier_limits
from consent.audiences.selectors import segment_members
from consent.models import Contact
from consent.selectors import contacts_for_audience

from .. import ratecap
from ..carrier_limits import period_bounds
from ..errors import NotFound
from ..models import BrandDay, Broadcast, Message
from ..segments import segment_info
from ..templating.selectors import renderings_summary
from .messages import S, _uuid_or_404


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
