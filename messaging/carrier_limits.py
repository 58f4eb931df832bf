"""The carriers' own limits beside the number cap, counted from durable state in the claim.

- **AT&T, per campaign:** at most the campaign's TPM segments in any sliding
  ``MESSAGING_RATE_WINDOW`` (60 s). Counted like the number cap, from the slots of the
  messages that went out under the campaign (``Message.campaign`` + ``slot_frees_at``),
  under the lock of the campaign's ``CampaignLane`` row: the proof of invariant I2 (README)
  holds for the campaign as it does for a number.
- **T-Mobile, per brand per day:** at most the brand's daily cap of segments per calendar
  day in Pacific time. Counted in ``BrandDay.used``, which the claim raises under that row's
  lock in the same transaction that reserves the messages, and which falls only for
  messages the carrier refused (nothing landed).

Lock order, the same in every claim (so claims never deadlock): the number's ``SendLane``
(SKIP LOCKED) → the campaign's ``CampaignLane`` → the brand's ``BrandDay``. The refund of
refused messages runs in its own statement after the finish's transaction.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import F, Sum

from campaigns import selectors as campaign_selectors
from campaigns import throughput
from campaigns.models import PhoneNumber

from . import ratecap
from .models import BrandDay, CampaignLane, Message

CAMPAIGN = "campaign"
BRAND_DAY = "brand_day"


@dataclass
class Room:
    """What the campaign and the brand still allow at one claim (locks held)."""

    business_id: int
    campaign_id: int
    brand_id: int
    tpm: int
    daily: int
    campaign_free: int
    brand_free: int
    day_id: int
    period_end: float


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def period_bounds(ts: float) -> tuple[float, float]:
    return throughput.period_bounds(ts, period=settings.MESSAGING_BRAND_PERIOD)


def enabled(number: PhoneNumber) -> bool:
    return bool(settings.MESSAGING_CARRIER_LIMITS and number.campaign_id)


def lock_and_count(number: PhoneNumber, now: datetime) -> Room | None:
    """Inside the claim's transaction: lock the campaign's and the brand's rows and count
    what they still allow. None when the number is on no campaign or the limits are off."""
    if not enabled(number):
        return None
    campaign = number.campaign
    assert campaign is not None  # enabled() checked campaign_id
    limits = campaign_selectors.carrier_limits(campaign=campaign)
    business_id = number.business_id
    if not CampaignLane.objects.select_for_update().filter(campaign_id=campaign.pk).exists():
        CampaignLane.objects.bulk_create(
            [CampaignLane(business_id=business_id, campaign_id=campaign.pk)],
            ignore_conflicts=True,
        )
        CampaignLane.objects.select_for_update().filter(campaign_id=campaign.pk).exists()
    used = (
        Message.objects.filter(campaign_id=campaign.pk, slot_frees_at__gt=now).aggregate(
            s=Sum("segments")
        )["s"]
        or 0
    )
    start, end = period_bounds(now.timestamp())
    key = {"business_id": business_id, "brand_id": campaign.brand_id, "period_start": _dt(start)}
    day = BrandDay.objects.select_for_update().filter(**key).first()
    if day is None:
        BrandDay.objects.bulk_create([BrandDay(**key)], ignore_conflicts=True)
        day = BrandDay.objects.select_for_update().get(**key)
    return Room(
        business_id=business_id,
        campaign_id=campaign.pk,
        brand_id=campaign.brand_id,
        tpm=limits.campaign_tpm,
        daily=limits.brand_daily,
        campaign_free=max(0, limits.campaign_tpm - used),
        brand_free=max(0, limits.brand_daily - day.used),
        day_id=day.pk,
        period_end=end,
    )


def capacity(room: Room | None, number_free: int) -> tuple[int, str]:
    """The segments this claim may take, and the limit that decides it."""
    if room is None:
        return number_free, "number"
    free = min(number_free, room.campaign_free, room.brand_free)
    if free == number_free:
        return free, "number"
    return free, BRAND_DAY if free == room.brand_free else CAMPAIGN


def reserve(room: Room | None, segments: int) -> None:
    """Count ``segments`` against the brand's day (the campaign's share is the messages'
    own slots, written by the claim)."""
    if room is None or segments <= 0:
        return
    BrandDay.objects.filter(pk=room.day_id).update(used=F("used") + segments)


def wake_at(room: Room, *, now: datetime, first: int, useful: int) -> tuple[float, str] | None:
    """When the head of the queue (``first`` segments) fits the campaign and the brand
    again, and which of them it waits for; None if it fits now. A full day waits for the
    next period; a full campaign for its slots to free (a useful batch, but never more
    than 1 % of the window after the head fits, as the number cap does)."""
    ts = now.timestamp()
    if room.brand_free < first:
        return room.period_end + 0.005, BRAND_DAY
    if room.campaign_free < first:
        window = settings.MESSAGING_RATE_WINDOW
        if first > room.tpm:
            # longer than the campaign may ever send at once (a sole proprietor's 15 a
            # minute): look again each window rather than spin (README, known limits)
            return ts + window, CAMPAIGN
        slots = [
            ratecap.Slot(f.timestamp(), s)
            for f, s in Message.objects.filter(
                campaign_id=room.campaign_id, slot_frees_at__gt=now
            ).values_list("slot_frees_at", "segments")
            if f is not None
        ]
        head = ratecap.next_free_at(slots, now=ts, limit=room.tpm, need=first)
        batch = ratecap.next_free_at(slots, now=ts, limit=room.tpm, need=min(useful, room.tpm))
        return max(min(batch, head + 0.01 * window), ts + 0.005), CAMPAIGN
    return None


def refund(*, number: PhoneNumber, claimed_at: datetime, segments: int) -> None:
    """Messages the carrier refused (a permanent error, a 429) never landed: give their
    segments back to the day they were counted in."""
    if segments <= 0 or not enabled(number):
        return
    campaign = number.campaign
    assert campaign is not None
    start, _ = period_bounds(claimed_at.timestamp())
    BrandDay.objects.filter(
        business_id=number.business_id, brand_id=campaign.brand_id, period_start=_dt(start)
    ).update(used=F("used") - segments)
