"""What messaging tells billing beyond the drain's metering: which messages that reserved
part of a month's spending cap ended without the carrier taking them, so the reservation
goes back (accounts.billing.services.spend_release)."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.billing import services as billing_services

from ..models import Message

S = Message.Status
# Ended without the carrier accepting it (FAILED after a send that got an answer is still
# billed if its usage was recorded: spend_release keeps reservations with usage).
UNSENT = (S.BLOCKED, S.FAILED, S.CANCELED, S.EXPIRED)


def billing_release_unsent(*, now: datetime | None = None, settle_after: float = 60.0) -> int:
    """Release the cap reservations of messages that ended unsent; returns how many."""
    now = now or timezone.now()
    open_ = billing_selectors.reservations_open(before=now - timedelta(seconds=settle_after))
    uuids = {key.removeprefix("message:"): biz for biz, key in open_ if key.startswith("message:")}
    ended = Message.objects.filter(uuid__in=list(uuids), status__in=UNSENT).values_list(
        "business_id", "uuid"
    )
    by_business: dict[int, list[str]] = defaultdict(list)
    for business_id, uuid in ended:
        by_business[business_id].append(f"message:{uuid}")
    return sum(
        billing_services.spend_release(business_id=b, keys=keys, now=now)
        for b, keys in by_business.items()
    )
