"""Reads of messaging, always scoped by business (another business's object is NotFound)."""

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Business

from .models import Broadcast, Message

S = Message.Status

# What a broadcast recipient's message status means for the business.
OUTCOME: dict[str, str] = {
    S.QUEUED: "queued",
    S.SCHEDULED: "scheduled",
    S.SENDING: "sending",
    S.SENT: "sent",
    S.DELIVERED: "delivered",
    S.UNDELIVERED: "undelivered",
    S.FAILED: "failed",
    S.HELD: "held_for_review",
    S.CANCELED: "canceled",
    S.EXPIRED: "expired",
}
# BLOCKED recipients are "skipped" with the reason code of the gate that stopped them.
SKIP_REASONS = {
    "no_consent": "no_consent",
    "pending_double_opt_in": "no_consent",
    "conversation_only": "no_consent",
    "opted_out": "opted_out",
    "suppressed": "suppressed",
}


def message_get(*, business: Business, message_uuid) -> Message:
    try:
        return Message.objects.select_related("contact", "from_number", "broadcast").get(
            business=business, uuid=message_uuid
        )
    except (Message.DoesNotExist, ValueError, TypeError, ValidationError):  # not a uuid
        raise NotFound() from None


def message_list(
    *,
    business: Business,
    direction: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    contact=None,
    phone: str | None = None,
    broadcast: Broadcast | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Message]:
    """The message log, newest first (index message_biz_time / message_biz_peer)."""
    qs = Message.objects.filter(business=business).select_related("contact", "from_number")
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if contact is not None:
        qs = qs.filter(contact=contact)
    if phone:
        qs = qs.filter(to_phone=phone)
    if broadcast is not None:
        qs = qs.filter(broadcast=broadcast)
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-created_at", "-id")


def inbound_list(*, business: Business) -> QuerySet[Message]:
    return message_list(business=business, direction=Message.Direction.INBOUND)


def conversation(*, business: Business, phone: str) -> QuerySet[Message]:
    """Both directions with one person, oldest first (the inbox thread)."""
    return (
        Message.objects.filter(business=business, to_phone=phone)
        .select_related("from_number", "created_by")
        .order_by("created_at", "id")
    )


def inbox_threads(*, business: Business) -> list[dict]:
    """One row per person who texted in: phone, last message time, count (newest first)."""
    rows = (
        Message.objects.filter(business=business, direction=Message.Direction.INBOUND)
        .values("to_phone", "contact_id")
        .annotate(last_at=Max("created_at"))
        .order_by("-last_at")
    )
    # values() rows are dicts; the plugin types them as a TypedDict, which is not a dict
    return list(rows)  # type: ignore[arg-type]


def broadcast_get(*, business: Business, broadcast_uuid) -> Broadcast:
    try:
        return Broadcast.objects.select_related("from_number").get(
            business=business, uuid=broadcast_uuid
        )
    except (Broadcast.DoesNotExist, ValueError, TypeError, ValidationError):  # not a uuid
        raise NotFound() from None


def broadcast_list(*, business: Business) -> QuerySet[Broadcast]:
    return Broadcast.objects.filter(business=business).order_by("-created_at", "-id")


def recipient_outcome(message: Message) -> tuple[str, str]:
    """(outcome, reason) of one broadcast recipient."""
    if message.status == S.BLOCKED:
        reason = message.reasons[-1] if message.reasons else {}
        code = reason.get("code", "")
        if reason.get("gate") == "policy":
            return "skipped", "blocked_by_policy"
        return "skipped", SKIP_REASONS.get(code, code or "blocked")
    if message.status == S.SCHEDULED and any(
        r.get("code") == "quiet_hours_deferred" for r in message.reasons
    ):
        return "deferred", "quiet_hours_deferred"
    return OUTCOME.get(message.status, message.status.lower()), ""


def broadcast_recipients(*, business: Business, broadcast: Broadcast) -> QuerySet[Message]:
    """The per-recipient messages; use recipient_outcome() on each for outcome and reason."""
    return message_list(business=business, broadcast=broadcast).select_related("contact")


def broadcast_progress(*, business: Business, broadcast: Broadcast) -> dict:
    """Counts by outcome and reason, how much is done, and the time left under the cap."""
    counts: Counter = Counter()
    reasons: Counter = Counter()
    waiting_segments = 0
    for m in Message.objects.filter(business=business, broadcast=broadcast).only(
        "status", "reasons", "segments"
    ):
        outcome, reason = recipient_outcome(m)
        counts[outcome] += 1
        if reason:
            reasons[reason] += 1
        if m.status in (S.QUEUED, S.SCHEDULED, S.SENDING):
            waiting_segments += m.segments
    total = sum(counts.values())
    pending = counts["queued"] + counts["scheduled"] + counts["sending"] + counts["deferred"]
    limit, window = settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW
    return {
        "status": broadcast.status,
        "recipients": broadcast.recipient_count,
        "messages": total,
        "done": total - pending,
        "by_outcome": dict(counts),
        "skipped_reasons": dict(reasons),
        "seconds_left": 0.0
        if waiting_segments <= limit
        else ((waiting_segments - 1) // limit) * window,
    }


def number_queue(*, business: Business, number) -> dict:
    """A number's backlog and how long it takes to drain under the cap (time-to-drain)."""
    if number.business_id != business.pk:
        raise NotFound()
    waiting = Message.objects.filter(
        business=business, from_number=number, status__in=Message.WAITING
    )
    due = waiting.filter(send_after__lte=timezone.now()).aggregate(s=Sum("segments"))["s"] or 0
    limit, window = settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW
    return {
        "waiting": waiting.count(),
        "due_segments": due,
        "seconds_to_drain": 0.0 if due <= limit else ((due - 1) // limit) * window,
    }
