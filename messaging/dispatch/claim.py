"""Step 1 of the drain: lock the lane, count the cap, claim due rows and re-check them."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min, Q, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from accounts.events.services import events_wanted
from campaigns.models import PhoneNumber
from policies.penalties import rate_limit_for

from .. import carrier_limits, ratecap
from ..gates import DISPATCH_GATES, Candidate, message_gates
from ..media import selectors as media_selectors
from ..models import Message, SendLane
from ..tenant_webhooks import MESSAGE_EVENT_TYPES, event_emit_many, message_events

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
    from ..tasks import drain_number  # not at the top: the tasks call the drain

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


def _wake_at(slots, *, now: float, limit: int, window: float, first: int, useful: int) -> float:
    """When a number's next drain should run: once a useful batch (``useful`` segments) is
    free, not for every single slot (a burst frees over the few ms it took to send, and
    each cycle costs a dozen queries), but never more than 1 % of the window after the
    head message (``first`` segments) fits, and at least 5 ms from now."""
    head = ratecap.next_free_at(slots, now=now, limit=limit, need=first)
    batch = ratecap.next_free_at(slots, now=now, limit=limit, need=useful)
    return max(min(batch, head + 0.01 * window), now + 0.005)
