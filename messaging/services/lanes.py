"""Telling a drainer there is work: the per-number lanes (README step 2)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..models import SendLane


def lane_kick(
    *, business_id: int, number_id: int, due_at: datetime | None = None, urgent: bool = True
) -> bool:
    """Make sure a drain of ``number_id`` runs at ``due_at`` (now if None). Cheap and
    idempotent: one UPDATE; a task is sent only if no drain is already expected by then."""
    from ..tasks import drain_number  # here, not at the top: the tasks call these services

    now = timezone.now()
    due_at = max(due_at or now, now)
    horizon = now + timedelta(seconds=settings.MESSAGING_ETA_HORIZON)
    stale = now - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE)
    will_send = due_at <= horizon
    task_eta = due_at if will_send else None
    updated, exists = _lane_update(number_id, due_at, task_eta, stale)
    if not updated:
        if exists:
            return False  # a drain is already expected in time
        lanes = SendLane.objects.filter(number_id=number_id).filter(
            Q(drain_at__isnull=True) | Q(drain_at__gt=due_at) | Q(drain_at__lt=stale)
        )
        SendLane.objects.bulk_create(
            [SendLane(business_id=business_id, number_id=number_id)], ignore_conflicts=True
        )
        if not lanes.update(drain_at=due_at, task_eta=task_eta):
            return False
    if will_send:
        # A single send's kick (one message waiting on a number with no drain expected)
        # goes to the urgent queue, so it never waits behind the drains of bulk backlogs;
        # bulk enqueues (broadcasts, imports) kick on the default queue.
        drain_number.apply_async(
            (number_id,),
            eta=due_at if due_at > now else None,
            **({"queue": settings.MESSAGING_URGENT_QUEUE} if urgent else {}),
        )
    return True


def _lane_update(
    number_id: int, due_at: datetime, task_eta: datetime | None, stale: datetime
) -> tuple[int, bool]:
    """The kick's UPDATE and whether the lane exists at all, in one round trip (every single
    send pays for it: bench_load). Rows the condition skips are not locked, as with a plain
    UPDATE (an upsert would wait for a drain holding the lane's lock)."""
    table = connection.ops.quote_name(SendLane._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH kicked AS (UPDATE {table} SET drain_at = %s, task_eta = %s "  # noqa: S608 - our table name only
            "WHERE number_id = %s AND (drain_at IS NULL OR drain_at > %s OR drain_at < %s) "
            "RETURNING 1) "
            f"SELECT (SELECT count(*) FROM kicked), "
            f"EXISTS (SELECT 1 FROM {table} WHERE number_id = %s)",
            [due_at, task_eta, number_id, due_at, stale, number_id],
        )
        updated, exists = cursor.fetchone()
    return updated, exists


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
