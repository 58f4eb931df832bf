"""The beat's backstop for the drain: stuck claims, overdue and idle lanes, coming drains."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Message, SendLane
from ..services import broadcast_fanouts_resume, lane_kick
from .claim import S


def recover(*, now: datetime | None = None) -> dict:
    """The beat task's body: re-queue claims whose worker died, re-kick lanes whose drain
    is overdue, and send ETA tasks for drains coming due within the horizon."""
    from ..tasks import drain_number  # not at the top: the tasks call the drain

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
