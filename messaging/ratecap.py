"""The per-number rate-cap arithmetic. Pure; no Django.

The cap: at most ``limit`` SEGMENTS accepted by the carrier from one originating number
in any sliding window of ``window`` seconds. Segments, not messages, because carriers
and Twilio meter segments; a 3-segment message uses 3 of the 50.

A *slot* is a reservation of some segments by one message. It is active from the moment
it is reserved until ``frees_at``. Invariant I (enforced by the caller under a per-number
lock): at every instant the active slots of a number hold at most ``limit`` segments.

Why that bounds what the carrier sees: a message is accepted by the carrier at some time
``a`` between reserving (``r``) and getting the answer (``d``). Its slot frees at
``d + window + margin`` (or, while the answer is unknown, at ``r + timeout + window +
margin``, since the HTTP client gives up by ``r + timeout``). Take any window [s, s+W]
and let τ be the last acceptance in it. Every message accepted in it has r ≤ a ≤ τ and
frees_at > a + W ≥ s + W ≥ τ, so its slot is active at τ; by invariant I they hold at
most ``limit`` segments. The margin absorbs clock differences between us and the carrier.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Slot:
    frees_at: float  # Unix seconds
    segments: int


def pending_frees_at(*, reserved_at: float, window: float, timeout: float, margin: float) -> float:
    """When a slot frees if its send never reports back (crash, time-out)."""
    return reserved_at + timeout + window + margin


def done_frees_at(*, done_at: float, window: float, margin: float) -> float:
    """When a slot frees once the carrier answered (accepted or ambiguous) at ``done_at``."""
    return done_at + window + margin


def used(slots: Iterable[Slot], *, now: float) -> int:
    return sum(s.segments for s in slots if s.frees_at > now)


def free_capacity(slots: Iterable[Slot], *, now: float, limit: int) -> int:
    return max(0, limit - used(slots, now=now))


def next_free_at(slots: Sequence[Slot], *, now: float, limit: int, need: int) -> float:
    """The earliest time at which ``need`` segments are free (``now`` if they already are)."""
    active = sorted((s for s in slots if s.frees_at > now), key=lambda s: s.frees_at)
    in_use = sum(s.segments for s in active)
    if limit - in_use >= need:
        return now
    for slot in active:
        in_use -= slot.segments
        if limit - in_use >= need:
            return slot.frees_at
    return now  # need > limit never fits; callers refuse such messages at enqueue


def take(sizes: Sequence[int], *, capacity: int) -> int:
    """How many of the queued messages (in queue order) fit in ``capacity`` segments.

    Strict queue order: a big message at the head is not overtaken by smaller ones
    behind it, so it cannot starve.
    """
    count = 0
    for size in sizes:
        if size > capacity:
            break
        capacity -= size
        count += 1
    return count


def max_in_window(events: Iterable[tuple[float, int]], *, window: float) -> int:
    """The largest weight accepted in any closed window [t, t + window] (two pointers)."""
    ordered = sorted(events)
    best = total = 0
    start = 0
    for ts, weight in ordered:
        total += weight
        while ordered[start][0] < ts - window:
            total -= ordered[start][1]
            start += 1
        best = max(best, total)
    return best


def drain_seconds(*, segments: int, limit: int, window: float) -> float:
    """How long ``segments`` queued on one idle number take to go under the cap: the first
    ``limit`` at once, then ``limit`` more every window."""
    if segments <= limit:
        return 0.0
    return ((segments - 1) // limit) * window


def drain_seconds_capped(
    *,
    segments: int,
    limit: int,
    window: float,
    day_left: int,
    daily: int,
    day_ends_in: float,
    day_length: float,
) -> tuple[float, bool]:
    """As ``drain_seconds``, under a daily cap too: ``day_left`` segments may still go today
    (the period ends in ``day_ends_in`` s), then ``daily`` each following period. Returns the
    seconds and whether the daily cap decided them."""
    if segments <= day_left:
        return drain_seconds(segments=segments, limit=limit, window=window), False
    rest = segments - max(0, day_left)
    full_days = (rest - 1) // max(1, daily)
    last = rest - full_days * daily
    seconds = day_ends_in + full_days * day_length
    return seconds + drain_seconds(segments=last, limit=limit, window=window), True


def retry_delay(*, attempt: int, base: float, cap: float) -> float:
    """Exponential backoff for transient errors: base, 2·base, 4·base … at most ``cap``."""
    return min(cap, base * (2 ** max(0, attempt - 1)))
