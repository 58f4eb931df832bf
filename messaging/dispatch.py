"""The drain: claim a number's due messages under its cap, re-check, send, record.

One call of ``drain_number`` loops: (1) in one short transaction, lock the number's lane
row (SKIP LOCKED: another drainer holds it → leave it the work), count the segments of
its active slots, claim due rows in queue order with FOR UPDATE SKIP LOCKED, re-check each
(expiry, number/campaign/business, consent and suppression, the content rules when they
changed since it was queued, quiet hours), and mark the
survivors SENDING with a reserved slot — all in that transaction; (2) send them
concurrently; (3) record the answers and shrink each slot to answer + window. It stops
when the number has no free capacity or no due rows, and schedules its own next run for
the moment a slot frees (or the next scheduled message is due). See README.md.
"""

import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, Field, Min, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.billing import services as billing_services
from accounts.events.services import events_wanted
from campaigns.models import PhoneNumber
from policies.penalties import rate_limit_for

from . import carrier_limits, ratecap
from .gates import DISPATCH_GATES, Candidate, message_gates
from .media import selectors as media_selectors
from .models import Message, SendLane
from .providers import Outbound, get_provider
from .providers.base import ACCEPTED, PERMANENT, THROTTLED, TRANSIENT, SendResult, run_async
from .services import broadcast_fanouts_resume, lane_kick, outcome_report
from .tenant_webhooks import MESSAGE_EVENT_TYPES, event_emit_many, message_events

log = logging.getLogger(__name__)
S = Message.Status


def _ts(dt: datetime) -> float:
    return dt.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _media_of(rows: list[Message]) -> dict:
    """The files of the MMS among ``rows`` (one query, and none for a batch of plain texts)."""
    ids = [m.pk for m in rows if m.media_count]
    if not ids:
        return {}
    return media_selectors.media_for_messages(business_id=rows[0].business_id, message_ids=ids)


def _status_callback_url() -> str:
    if not settings.MESSAGING_STATUS_CALLBACKS:
        return ""
    return f"{settings.MESSAGING_WEBHOOK_BASE_URL}/webhooks/carrier/status/"


def _recheck(rows: list[Message], number, now: datetime) -> tuple[list[Message], list[Message]]:
    """DESIGN step 4: the gates that can change while a message waits
    (``DISPATCH_GATES``: validity, number, consent, the content rules when they changed
    since it was queued, quiet hours), asked of the whole claim at once by the one gate
    function. Returns (sendable, changed-but-not-sendable); a row that fails is expired,
    blocked or held with its first failing gate, or deferred."""
    replies = [m.reply_to_id for m in rows if m.reply_to_id is not None]
    answered = (  # when the texts these replies answer arrived (one query, replies only)
        dict(
            Message.objects.filter(pk__in=replies, direction=Message.Direction.INBOUND).values_list(
                "pk", "created_at"
            )
        )
        if replies
        else {}
    )
    media = _media_of(rows)
    decisions = message_gates(
        business=number.business,
        items=[
            Candidate(
                # None (a contact deleted since) is answered "no_consent"
                contact=m.contact,
                body=m.body,
                kind=m.kind,
                from_number=number,
                automated=m.automated,
                purpose=m.purpose,
                reply_to_at=answered.get(m.reply_to_id) if m.reply_to_id else None,
                to_phone=m.to_phone,
                phone=m.to_phone,
                expires_at=m.expires_at,
                queued_at=m.queued_at or m.created_at,
                media_count=m.media_count,
                media_text=" ".join(f.text_for_policy for f in media.get(m.pk, [])),
                key=f"message:{m.uuid}",
                segments=m.segments,
            )
            for m in rows
        ],
        gates=DISPATCH_GATES,
        now=now,
        all_reasons=False,
    )
    sendable, changed = [], []
    for m, decision in zip(rows, decisions, strict=True):
        verdict = decision.verdict
        if verdict == "allow":
            sendable.append(m)
            continue
        m.status_changed_at = now
        if verdict == "expire":
            m.status = S.EXPIRED
            m.reasons = [*m.reasons, *decision.reasons]
        elif verdict == "defer":
            m.status = S.SCHEDULED
            m.send_after = decision.defer_until
            m.reasons = [*m.reasons, *decision.reasons]
        else:  # blocked, or held for staff (content rules changed), by its first failing gate
            m.status = S.HELD if verdict == "review" else S.BLOCKED
            m.reasons = [*m.reasons, {**decision.failed[0].as_dict(), "at": "dispatch"}]
        changed.append(m)
    return sendable, changed


def _schedule(lane: SendLane, when: datetime | None, now: datetime, waiting: str = "") -> None:
    """Record when this number needs its next drain (and, when due rows wait for a limit,
    which one) and send the task if it is near."""
    from .tasks import drain_number  # not at the top: the tasks call the drain

    lane.drain_at = when
    lane.waiting_for = waiting
    lane.waiting_until = when if waiting else None
    lane.task_eta = None
    if when is not None and when <= now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON):
        lane.task_eta = when
        number_id = lane.number_id
        transaction.on_commit(
            lambda: drain_number.apply_async((number_id,), eta=when if when > now else None)
        )
    lane.save(
        update_fields=["drain_at", "task_eta", "last_drain_at", "waiting_for", "waiting_until"]
    )


def _claim(number_id: int) -> tuple[list[Message], dict]:
    """Step (1). Returns the claimed rows (SENDING, slot reserved) and facts for logging."""
    limit = settings.MESSAGING_RATE_LIMIT
    window = settings.MESSAGING_RATE_WINDOW
    with transaction.atomic():
        lane = (
            SendLane.objects.select_for_update(skip_locked=True).filter(number_id=number_id).first()
        )
        if lane is None:
            if not SendLane.objects.filter(number_id=number_id).exists():
                number = PhoneNumber.objects.filter(pk=number_id).first()
                if number is not None:
                    SendLane.objects.bulk_create(
                        [SendLane(business_id=number.business_id, number_id=number_id)],
                        ignore_conflicts=True,
                    )
                    return [], {"retry": True}
            return [], {"busy": True}
        now = timezone.now()
        lane.last_drain_at = now
        if lane.throttled_until and lane.throttled_until > now:
            _schedule(lane, lane.throttled_until, now, waiting="throttled")
            return [], {"throttled": True}
        # A carrier penalty may lower this business's cap: the stricter limit and the
        # longer window both apply.
        limit, window = _effective_cap(lane.business_id, limit, window)
        slots = [
            ratecap.Slot(_ts(f), s)  # type: ignore[arg-type]  # the filter excludes NULL
            for f, s in Message.objects.filter(
                from_number_id=number_id, slot_frees_at__gt=now
            ).values_list("slot_frees_at", "segments")
        ]
        number_free = ratecap.free_capacity(slots, now=_ts(now), limit=limit)
        number = PhoneNumber.objects.select_related("business", "campaign", "campaign__brand").get(
            pk=number_id
        )
        # The carriers' limits on the campaign (AT&T) and the brand (T-Mobile): their rows
        # are locked here and counted from committed state, like the number's slots.
        room = carrier_limits.lock_and_count(number, now)
        capacity, bound = carrier_limits.capacity(room, number_free)
        taken = 0  # segments this claim reserves
        due = Q(
            business_id=number.business_id, from_number_id=number_id, status__in=Message.WAITING
        )
        claimed: list[Message] = []
        changed: list[Message] = []
        seen: list[int] = []
        exhausted = False  # every row due now was taken (not stopped by the capacity)
        while capacity > 0:
            batch = min(capacity, settings.MESSAGING_BATCH_MAX)
            rows = list(
                Message.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("contact")
                # the re-check uses the message's to_phone (the number texted), so the
                # contact's phone is not loaded (parsing it was 7 % of the drain's CPU)
                .defer("contact__phone")
                .filter(due, send_after__lte=now)
                .exclude(pk__in=seen)  # rows this claim already re-checked (not yet saved)
                .order_by("priority", "send_after", "id")[:batch]
            )
            if not rows:
                exhausted = True
                break
            seen += [m.pk for m in rows]
            ok, other = _recheck(rows, number, now)
            changed += other
            fit = ratecap.take([m.segments for m in ok], capacity=capacity)
            pending = _dt(
                ratecap.pending_frees_at(
                    reserved_at=_ts(now),
                    window=window,
                    timeout=settings.MESSAGING_SEND_TIMEOUT,
                    margin=settings.MESSAGING_SLOT_MARGIN,
                )
            )
            for m in ok[:fit]:
                m.status = S.SENDING
                m.attempts += 1
                m.claimed_at = now
                m.slot_frees_at = max(pending, m.slot_frees_at or pending)
                m.status_changed_at = now
                capacity -= m.segments
                taken += m.segments
            claimed += ok[:fit]
            if fit < len(ok):
                break
            if len(rows) < batch:
                exhausted = True
                break
        if claimed:
            # One UPDATE for the whole claim (same status, time and pending slot bound; a
            # re-claimed row keeps a later bound it already had, invariant I3).
            Message.objects.filter(pk__in=[m.pk for m in claimed]).update(
                status=S.SENDING,
                attempts=F("attempts") + 1,
                claimed_at=now,
                status_changed_at=now,
                slot_frees_at=Greatest(
                    Value(pending), Coalesce(F("slot_frees_at"), Value(pending))
                ),
                campaign_id=number.campaign_id,  # its slot counts for this campaign
            )
            carrier_limits.reserve(room, taken)
        if changed:
            Message.objects.bulk_update(
                changed, ["status", "status_changed_at", "reasons", "send_after"]
            )
            # a deferral (quiet hours) is no news to the business; the rest is
            if events_wanted(business=number.business, types=MESSAGE_EVENT_TYPES):
                event_emit_many(
                    events=message_events(m for m in changed if m.status != S.SCHEDULED)
                )
        if claimed and exhausted:
            # Nothing else is due: decide the lane's next drain now instead of coming back
            # for a second claim (a single send costs one cycle, not two). What this batch
            # still needs (a retry, a throttle) is kicked by drain_number after _finish.
            when = Message.objects.filter(due).aggregate(t=Min("send_after"))["t"]
            if when is not None:
                when = max(when, now + timedelta(milliseconds=5))
            _schedule(lane, when, now)
            facts = {"number": number, "changed": len(changed), "window": window, "done": True}
            return claimed, {**facts, "settled": when}
        if claimed:
            lane.drain_at = now  # a drainer is live on this lane (heartbeat)
            lane.save(update_fields=["drain_at", "last_drain_at"])
            facts = {"number": number, "changed": len(changed), "window": window}
            if capacity <= 0 and bound == "number":
                # the number is at its cap: drain_number settles the lane. At the campaign's
                # or the brand's limit, the next claim (after the answers) decides when.
                facts.update(full=True, slots=slots, limit=limit)
            return claimed, facts
        # Nothing to send now: when is the next drain needed?
        # The head of the queue (up to one window's worth), to decide when to come back.
        head = list(
            Message.objects.filter(due, send_after__lte=now)
            .order_by("priority", "send_after", "id")
            .values_list("segments", flat=True)[:limit]
        )
        waiting = ""
        if head:
            wake = _wake_at(
                slots,
                now=_ts(now),
                limit=limit,
                window=window,
                first=head[0],
                useful=min(sum(head), limit),
            )
            waiting = "number" if number_free < head[0] else ""
            carrier = (
                carrier_limits.wake_at(room, now=now, first=head[0], useful=min(sum(head), limit))
                if room is not None
                else None
            )
            if carrier is not None and carrier[0] >= wake:
                wake, waiting = carrier
            when = _dt(wake)
        else:
            when = Message.objects.filter(due).aggregate(t=Min("send_after"))["t"]
        _schedule(lane, when, now, waiting=waiting)
        facts = {"number": number, "changed": len(changed), "next": when}
        return [], facts if head else {**facts, "settled": when}


def _effective_cap(business_id: int, limit: int, window: float) -> tuple[int, float]:
    restricted = rate_limit_for(business_id=business_id)
    if restricted is None:
        return limit, window
    return min(limit, restricted[0]), max(window, float(restricted[1]))


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


def _wake_at(slots, *, now: float, limit: int, window: float, first: int, useful: int) -> float:
    """When a number's next drain should run: once a useful batch (``useful`` segments) is
    free, not for every single slot (a burst frees over the few ms it took to send, and
    each cycle costs a dozen queries), but never more than 1 % of the window after the
    head message (``first`` segments) fits, and at least 5 ms from now."""
    head = ratecap.next_free_at(slots, now=now, limit=limit, need=first)
    batch = ratecap.next_free_at(slots, now=now, limit=limit, need=useful)
    return max(min(batch, head + 0.01 * window), now + 0.005)


def _wake_when_free(number_id: int, facts: dict, claimed: list[Message]) -> None:
    """Set the lane's next drain to when a useful batch of slots frees and send that task.
    Only a wake-up time is decided here; the cap itself is re-counted under the lane lock
    by the next claim, so a race with another drainer can cost a delay, never a slot."""
    from .tasks import drain_number as task  # not at the top: the tasks call the drain

    now = time.time()
    limit, window = facts["limit"], facts["window"]
    active = [
        *facts["slots"],
        *(ratecap.Slot(_ts(m.slot_frees_at), m.segments) for m in claimed if m.slot_frees_at),
    ]
    when = _dt(_wake_at(active, now=now, limit=limit, window=window, first=1, useful=limit))
    near = when <= timezone.now() + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    SendLane.objects.filter(number_id=number_id).update(
        drain_at=when, task_eta=when if near else None, waiting_for="number", waiting_until=when
    )
    if near:
        task.apply_async((number_id,), eta=when)


def _kick_missed(number: PhoneNumber, settled: datetime | None) -> None:
    """After a claim settled the lane from the queue it saw (idle, or the next scheduled
    text): a text committed after that last look but before the claim committed was
    kicked against the lane row as it stood before the claim — its UPDATE found a drain
    expected, did not wait for the claim's lock, and sent no task — and the claim then
    wrote an idle lane (or a later drain) over it: the text waited for the next send on the
    number (now for the beat's recovery, after its grace, at the latest). So look once
    more, now that the claim has committed; ``lane_kick`` sends a task only if none is expected by
    then (tests/messaging/test_lane_race.py)."""
    first = Message.objects.filter(
        business_id=number.business_id, from_number_id=number.pk, status__in=Message.WAITING
    ).aggregate(t=Min("send_after"))["t"]
    if first is not None and (settled is None or first < settled):
        lane_kick(business_id=number.business_id, number_id=number.pk, due_at=first, urgent=False)


def drain_number(number_id: int, *, max_seconds: float = 20.0) -> dict:
    """Drain one number until it has no capacity or no due rows (bounded in time, so one
    busy number cannot hold a worker forever)."""
    provider = get_provider()
    started = time.monotonic()
    totals = {"sent": 0, "retry": 0, "failed": 0, "throttled": 0, "cycles": 0}
    while time.monotonic() - started < max_seconds:
        claimed, facts = _claim(number_id)
        if facts.get("retry"):
            continue
        if not claimed:
            # what the drainer decided, for the worker log
            totals.update({k: str(v) for k, v in facts.items() if k != "number"})
            if "settled" in facts:
                _kick_missed(facts["number"], facts["settled"])
            break
        callback = _status_callback_url()
        media = _media_of(claimed)  # each file by a fresh signed URL the carrier fetches
        items = [
            Outbound(
                str(m.uuid),
                facts["number"].e164,
                m.to_phone,
                m.body,
                m.segments,
                callback,
                tuple(media_selectors.media_signed_url(f) for f in media.get(m.pk, [])),
            )
            for m in claimed
        ]
        try:
            results = run_async(
                provider.send_many(items), timeout=settings.MESSAGING_SEND_TIMEOUT * 3
            )
        except Exception:  # the batch as a whole failed: treat every item as ambiguous
            log.exception("send batch failed for number %s", number_id)
            results = [SendResult(TRANSIENT, code="batch", done_at=time.time()) for _ in items]
        counts = _finish(claimed, results, facts["number"], facts["window"])
        again = counts.pop("again")
        totals["cycles"] += 1
        for k, v in counts.items():
            totals[k] += v
        if facts.get("full"):
            # The claim used the number's whole capacity: come back when its slots free
            # (known now, from the answers), instead of a second claim to find that out.
            _wake_when_free(number_id, facts, claimed)
            break
        if facts.get("done"):
            if again is not None:  # the lane was settled at claim time: wake it for these
                lane_kick(
                    business_id=facts["number"].business_id,
                    number_id=number_id,
                    due_at=again,
                    urgent=False,
                )
            _kick_missed(facts["number"], facts["settled"])
            break
    else:
        # Out of time with work left: hand over to a fresh task (fairness).
        from .tasks import drain_number as task  # not at the top: the tasks call the drain

        task.delay(number_id)
    return totals


def recover(*, now: datetime | None = None) -> dict:
    """The beat task's body: re-queue claims whose worker died, re-kick lanes whose drain
    is overdue, and send ETA tasks for drains coming due within the horizon."""
    from .tasks import drain_number  # not at the top: the tasks call the drain

    now = now or timezone.now()
    grace = timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    stuck_before = now - timedelta(seconds=settings.MESSAGING_SEND_TIMEOUT) - grace
    with transaction.atomic():
        stuck = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=S.SENDING, claimed_at__lt=stuck_before)
            .only("pk", "business_id", "from_number_id")[:5000]
        )
        if stuck:
            # The slot stays reserved (slot_frees_at untouched): the carrier may have it;
            # the retry reuses our id, so the carrier answers with the first id.
            Message.objects.filter(pk__in=[m.pk for m in stuck]).update(
                status=S.QUEUED, send_after=now, status_changed_at=now
            )
    lanes = {(m.business_id, m.from_number_id) for m in stuck}
    kicked = 0
    for business_id, number_id in lanes:
        assert number_id is not None  # a SENDING row was claimed from its number's lane
        kicked += lane_kick(business_id=business_id, number_id=number_id)
    overdue = list(
        SendLane.objects.filter(drain_at__lt=now - grace).values_list("business_id", "number_id")[
            :5000
        ]
    )
    for _business_id, number_id in overdue:
        SendLane.objects.filter(number_id=number_id, drain_at__lt=now - grace).update(
            drain_at=now, task_eta=now
        )
        drain_number.delay(number_id)
        kicked += 1
    # Lanes left idle with texts due for longer than the grace: a kick that missed its
    # drain (I5's backstop; _kick_missed closes the race known to cause it).
    waiting = Message.objects.filter(
        business_id=OuterRef("business_id"),
        from_number_id=OuterRef("number_id"),
        status__in=Message.WAITING,
        send_after__lt=now - grace,
    )
    idle = list(
        SendLane.objects.filter(Exists(waiting), drain_at__isnull=True).values_list(
            "number_id", flat=True
        )[:5000]
    )
    for number_id in idle:
        if SendLane.objects.filter(number_id=number_id, drain_at__isnull=True).update(
            drain_at=now, task_eta=now
        ):
            drain_number.delay(number_id)
            kicked += 1
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    coming = list(
        SendLane.objects.filter(
            drain_at__lte=horizon, drain_at__gte=now - grace, task_eta__isnull=True
        ).values_list("number_id", "drain_at")[:5000]
    )
    for number_id, when in coming:
        assert when is not None  # drain_at__lte excludes NULL
        if SendLane.objects.filter(
            number_id=number_id, drain_at=when, task_eta__isnull=True
        ).update(task_eta=when):
            drain_number.apply_async((number_id,), eta=when if when > now else None)
            kicked += 1
    return {"requeued": len(stuck), "kicked": kicked, "fanouts": broadcast_fanouts_resume(now=now)}
