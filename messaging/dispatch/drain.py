"""The drain's loop: claim, send, finish, and schedule the next run."""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from campaigns.models import PhoneNumber

from .. import ratecap
from ..media import selectors as media_selectors
from ..models import Message, SendLane
from ..providers import Outbound, get_provider
from ..providers.base import TRANSIENT, SendResult, run_async
from ..services import lane_kick
from .claim import _claim, _dt, _media_of, _ts, _wake_at
from .finish import _finish

log = logging.getLogger("messaging.dispatch")  # its name before the split into a package


def _status_callback_url() -> str:
    if not settings.MESSAGING_STATUS_CALLBACKS:
        return ""
    return f"{settings.MESSAGING_WEBHOOK_BASE_URL}/webhooks/carrier/status/"


def _wake_when_free(number_id: int, facts: dict, claimed: list[Message]) -> None:
    """Set the lane's next drain to when a useful batch of slots frees and send that task.
    Only a wake-up time is decided here; the cap itself is re-counted under the lane lock
    by the next claim, so a race with another drainer can cost a delay, never a slot."""
    from ..tasks import drain_number as task  # not at the top: the tasks call the drain

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
        from ..tasks import drain_number as task  # not at the top: the tasks call the drain

        task.delay(number_id)
    return totals
