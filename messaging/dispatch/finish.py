"""Step 3 of the drain: record the carrier's answers and shrink each slot."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from accounts.billing import services as billing_services
from accounts.events.services import events_wanted

from .. import carrier_limits, ratecap
from ..models import Message, SendLane
from ..providers import get_provider
from ..providers.base import ACCEPTED, PERMANENT, THROTTLED
from ..services import outcome_report
from ..tenant_webhooks import MESSAGE_EVENT_TYPES, event_emit_many, message_events
from .claim import S, _dt

# What _finish writes per row, with the PostgreSQL type of each VALUES column.
_FINISH_COLUMNS = (
    ("status", "varchar"),
    ("status_changed_at", "timestamptz"),
    ("provider", "varchar"),
    ("provider_id", "varchar"),
    ("sent_at", "timestamptz"),
    ("error_code", "varchar"),
    ("error_message", "text"),
    ("slot_frees_at", "timestamptz"),
    ("send_after", "timestamptz"),
    ("attempts", "integer"),
)


def _column(name: str) -> str:
    field = Message._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # a plain column, not a relation
    return field.column


def _write_answers(rows: list[Message], claimed_at: datetime) -> set[int]:
    """One UPDATE … FROM unnest(arrays) for the whole batch, only for rows still SENDING
    under this claim (recovery may have re-queued a claim whose worker stalled); returns
    the ids written. Replaces a SELECT … FOR UPDATE plus Django's bulk_update (a CASE per
    field and row, the costliest Python on the send path); one array per column keeps the
    parameters at eleven whatever the batch size."""
    table = connection.ops.quote_name(Message._meta.db_table)
    cols = [_column(name) for name, _ in _FINISH_COLUMNS]
    arrays = ", ".join(f"%s::{t}[]" for _, t in _FINISH_COLUMNS)
    params = [[m.pk for m in rows]]
    params += [[getattr(m, name) for m in rows] for name, _ in _FINISH_COLUMNS]
    assignments = ", ".join(f"{c} = v.{c}" for c in cols)
    # Only identifiers from the model's own meta and placeholders are formatted in;
    # every value is a parameter.
    sql = (
        f"UPDATE {table} AS m SET {assignments} "  # noqa: S608
        f"FROM unnest(%s::bigint[], {arrays}) AS v(id, {', '.join(cols)}) "
        "WHERE m.id = v.id AND m.status = %s AND m.claimed_at = %s RETURNING m.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, S.SENDING, claimed_at])
        return {r[0] for r in cursor.fetchall()}


def _finish(claimed: list[Message], results, number, window: float) -> dict:
    """Step (3): record answers; shrink or free each slot; retries with backoff. ``window``
    is the one the claim counted with (a restriction may lengthen it)."""
    margin = settings.MESSAGING_SLOT_MARGIN
    now = timezone.now()
    provider_name = get_provider().name
    counts: dict[str, Any] = {"sent": 0, "retry": 0, "failed": 0, "throttled": 0}
    throttle_until: datetime | None = None
    failed_events = []
    refused: set[int] = set()  # ids the carrier refused: nothing landed
    finished: list[Message] = []  # sent or failed for good: the tenants' events
    outcomes: list[str] = []  # per claimed row: sent, throttled, failed or retry
    for m, r in zip(claimed, results, strict=True):
        m.status_changed_at = now
        if r.outcome == ACCEPTED:
            m.status = S.SENT
            m.provider = provider_name
            m.provider_id = r.provider_id
            m.sent_at = _dt(r.done_at)
            m.error_code = ""
            m.slot_frees_at = _dt(
                ratecap.done_frees_at(done_at=r.done_at, window=window, margin=margin)
            )
            outcome = "sent"
        elif r.outcome == THROTTLED:
            # Not accepted: the slot is not needed; the number slows down.
            m.status = S.QUEUED
            m.attempts = max(0, m.attempts - 1)
            m.slot_frees_at = now
            refused.add(m.pk)
            wait = max(r.retry_after or 1.0, 0.5)
            m.send_after = now + timedelta(seconds=wait)
            outcome = "throttled"
        elif r.outcome == PERMANENT:
            m.status = S.FAILED
            m.error_code = r.code
            m.error_message = r.detail
            m.slot_frees_at = now  # refused, so nothing landed at the carrier
            refused.add(m.pk)
            outcome = "failed"
        else:  # transient: the carrier may or may not have it; keep the slot
            m.slot_frees_at = _dt(
                ratecap.done_frees_at(done_at=r.done_at, window=window, margin=margin)
            )
            m.error_code = r.code
            m.error_message = r.detail
            if m.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
                m.status = S.FAILED
                outcome = "failed"
            else:
                m.status = S.QUEUED
                delay = ratecap.retry_delay(
                    attempt=m.attempts,
                    base=settings.MESSAGING_RETRY_BASE,
                    cap=settings.MESSAGING_RETRY_CAP,
                )
                m.send_after = now + timedelta(seconds=delay)
                outcome = "retry"
        outcomes.append(outcome)
    again: datetime | None = None  # the earliest re-queued row (retry, throttle)
    claimed_at = claimed[0].claimed_at
    assert claimed_at is not None  # _claim set it on every row
    with transaction.atomic():
        live = _write_answers(claimed, claimed_at)
        # Metered from the source of truth, with it: what the carrier accepted is billed in
        # the transaction that records it SENT, once per message (a re-sent or recovered
        # claim has the same usage key).
        billing_services.usage_record_many(
            business_id=number.business_id,
            items=[
                billing_services.message_usage(
                    message_uuid=m.uuid,
                    segments=m.segments,
                    mms=m.media_count > 0,  # a message with media is billed as one MMS
                    accepted_at=m.sent_at,
                )
                for m, outcome in zip(claimed, outcomes, strict=True)
                if outcome == "sent" and m.pk in live and m.sent_at is not None
            ],
        )
        for m, outcome in zip(claimed, outcomes, strict=True):
            if m.pk not in live:
                continue
            counts[outcome] += 1
            if outcome in ("retry", "throttled"):
                # re-queued above: send_after is the retry, or the end of the throttle
                requeued = m.send_after
                assert requeued is not None
                again = requeued if again is None else min(again, requeued)
                if outcome == "throttled":
                    throttle_until = (
                        requeued if throttle_until is None else max(throttle_until, requeued)
                    )
            if outcome == "failed":
                failed_events.append({"message": str(m.uuid), "code": m.error_code})
            if outcome in ("sent", "failed"):
                finished.append(m)
        if events_wanted(business=number.business, types=MESSAGE_EVENT_TYPES):
            event_emit_many(events=message_events(finished))
        if throttle_until is not None:
            SendLane.objects.filter(number_id=number.pk).update(
                throttled_until=throttle_until, throttle_count=F("throttle_count") + 1
            )
    # Outside that transaction: the claim locks the lane before the brand's day, so the
    # finish must not hold a day row while it waits for a lane.
    carrier_limits.refund(
        number=number,
        claimed_at=claimed_at,
        segments=sum(m.segments for m in claimed if m.pk in refused and m.pk in live),
    )
    if counts["sent"]:
        outcome_report(number.business, "sent", {"count": counts["sent"], "number": number.e164})
    if failed_events:
        outcome_report(
            number.business, "failed", {"count": len(failed_events), "items": failed_events[:100]}
        )
    counts["again"] = again
    return counts
