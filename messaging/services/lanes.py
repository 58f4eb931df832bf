"""Telling a drainer there is work: the per-number lanes (README step 2)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..models import SendLane


@dataclass(frozen=True)
class Kick:
    """A kick of one lane, decided before its UPDATE runs (``lane_kick``; or in the same
    statement as a message's INSERT: ``kick_statement``, then ``kick_finish``)."""

    business_id: int
    number_id: int
    due_at: datetime
    task_eta: datetime | None
    stale: datetime
    now: datetime

    @property
    def will_send(self) -> bool:
        return self.task_eta is not None


def kick_plan(*, business_id: int, number_id: int, due_at: datetime | None = None) -> Kick:
    now = timezone.now()
    due_at = max(due_at or now, now)
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    return Kick(business_id, number_id, due_at, due_at if due_at <= horizon else None, stale, now)


def kick_statement(kick: Kick) -> tuple[str, str, list]:
    """The kick's UPDATE as a common table expression, and the values it answers (how many
    rows it updated, whether the lane exists at all): ``(ctes, select, params)``. Rows the
    condition skips are not locked, as with a plain UPDATE (an upsert would wait for a
    drain holding the lane's lock)."""
    table = connection.ops.quote_name(SendLane._meta.db_table)
    return (
        f"kicked AS (UPDATE {table} SET drain_at = %s, task_eta = %s "  # noqa: S608 - our table name only
        "WHERE number_id = %s AND (drain_at IS NULL OR drain_at > %s OR drain_at < %s) "
        "RETURNING 1)",
        f"(SELECT count(*) FROM kicked), EXISTS (SELECT 1 FROM {table} WHERE number_id = %s)",  # noqa: S608
        [kick.due_at, kick.task_eta, kick.number_id, kick.due_at, kick.stale, kick.number_id],
    )


def lane_kick(
    *, business_id: int, number_id: int, due_at: datetime | None = None, urgent: bool = True
) -> bool:
    """Make sure a drain of ``number_id`` runs at ``due_at`` (now if None). Cheap and
    idempotent: one UPDATE; a task is sent only if no drain is already expected by then."""
    kick = kick_plan(business_id=business_id, number_id=number_id, due_at=due_at)
    ctes, select, params = kick_statement(kick)
    # the UPDATE and whether the lane exists, in one round trip (every single send pays for
    # it: bench_load)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {ctes} SELECT {select}", params)
        updated, exists = cursor.fetchone()
    return kick_finish(kick, updated=updated, exists=exists, urgent=urgent)


def kick_finish(kick: Kick, *, updated: int, exists: bool, urgent: bool = True) -> bool:
    """The rest of a kick after its UPDATE: a lane not there yet is created and kicked; a
    drain is sent when none was expected in time. Returns whether the lane was kicked."""
    from ..tasks import drain_number  # here, not at the top: the tasks call these services

    number_id, due_at = kick.number_id, kick.due_at
    if not updated:
        if exists:
            return False  # a drain is already expected in time
        lanes = SendLane.objects.filter(number_id=number_id).filter(
            Q(drain_at__isnull=True) | Q(drain_at__gt=due_at) | Q(drain_at__lt=kick.stale)
        )
        SendLane.objects.bulk_create(
            [SendLane(business_id=kick.business_id, number_id=number_id)], ignore_conflicts=True
        )
        if not lanes.update(drain_at=due_at, task_eta=kick.task_eta):
            return False
    if kick.will_send:
        # A single send's kick (one message waiting on a number with no drain expected)
        # goes to the urgent queue, so it never waits behind the drains of bulk backlogs;
        # bulk enqueues (broadcasts, imports) kick on the default queue.
        drain_number.apply_async(
            (number_id,),
            eta=due_at if due_at > kick.now else None,
            **({"queue": settings.MESSAGING_URGENT_QUEUE} if urgent else {}),
        )
    return True


def lane_kick_many(*, business_id: int, dues: dict[int, datetime]) -> int:
    """``lane_kick`` (non-urgent) for many numbers of one business at once: one INSERT of
    the missing lanes and one UPDATE … FROM unnest(…) with the same condition, then a task
    for each lane that needed one; a bulk enqueue over 1,000 numbers costs two
    statements, not 3,000. Returns how many drains were kicked."""
    from ..tasks import drain_number  # here, not at the top: the tasks call these services

    if not dues:
        return 0
    now = timezone.now()
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    SendLane.objects.bulk_create(
        [SendLane(business_id=business_id, number_id=n) for n in dues], ignore_conflicts=True
    )
    numbers = list(dues)
    when = [max(dues[n], now) for n in numbers]
    table = connection.ops.quote_name(SendLane._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS l SET drain_at = v.due, "  # noqa: S608 - our table name only
            "task_eta = CASE WHEN v.due <= %s THEN v.due END "
            "FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(number_id, due) "
            "WHERE l.number_id = v.number_id "
            "AND (l.drain_at IS NULL OR l.drain_at > v.due OR l.drain_at < %s) "
            "RETURNING l.number_id, v.due",
            [horizon, numbers, when, stale],
        )
        kicked = cursor.fetchall()
    for number_id, due in kicked:
        if due <= horizon:
            drain_number.apply_async((number_id,), eta=due if due > now else None)
    return len(kicked)
