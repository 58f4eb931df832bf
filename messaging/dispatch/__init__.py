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

By step; ``drain_number`` and ``recover`` are re-exported here:

- ``claim`` — step 1: the lane lock, the cap (``_effective_cap``), the claim and re-check,
  when to wake (``_wake_at``);
- ``drain`` — the loop (``drain_number``), step 2 and the next wake-up;
- ``finish`` — step 3: the answers written in one UPDATE, events, billing;
- ``recover`` — the beat's backstop: stuck claims, overdue and idle lanes.
"""

from .drain import drain_number
from .recover import recover

__all__ = [
    "drain_number",
    "recover",
]
