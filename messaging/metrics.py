"""The send path's figures for Prometheus, computed from the database at scrape time.

Registered with ``accounts.metrics`` from ``MessagingConfig.ready()``. Each figure is one
aggregate query served by an index (named beside it), so a scrape costs a few
milliseconds whatever the number of worker processes; every label is one of OUR
originating numbers (e164 and uuid), never a contact's phone, name or message text.

Label cardinality: per-number series exist only for numbers with messages waiting or in
flight, or with sends in the last minute, and at most ``METRICS_TOP_NUMBERS`` of them (the
busiest); the totals always cover every number (``cyc_metrics_numbers_omitted`` says how
many were left out of the per-number series).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from campaigns.models import PhoneNumber

from .models import Message, SendLane, StatusCallback

S = Message.Status
IN_QUEUE = (S.QUEUED, S.SCHEDULED, S.SENDING)
NUMBER_LABELS = ["number", "number_uuid"]


def _queue_by_number(now) -> dict[int | None, dict]:
    """QUEUED / SCHEDULED / SENDING per number, and the oldest due send time.

    Served by the partial indexes message_ready (QUEUED, SCHEDULED) and message_sending.
    """
    rows = (
        Message.objects.filter(status__in=IN_QUEUE)
        .values("from_number_id", "status")
        .annotate(
            n=Count("id"),
            oldest_due=Min(
                "send_after",
                filter=Q(status__in=Message.WAITING, send_after__lte=now),
            ),
        )
        .order_by()
    )
    # keyed by from_number_id, a nullable column
    out: dict[int | None, dict] = defaultdict(lambda: {"depth": {}, "oldest_due": None})
    for row in rows:
        entry = out[row["from_number_id"]]
        entry["depth"][row["status"]] = row["n"]
        due = row["oldest_due"]
        if due is not None and (entry["oldest_due"] is None or due < entry["oldest_due"]):
            entry["oldest_due"] = due
    return out


def _slots_by_number(now) -> dict[int | None, tuple[int, int]]:
    """Per number: (messages the carrier accepted in the last minute, segments holding
    the cap now).

    A message accepted at t holds its cap slot until t + window + margin (ratecap.py), so
    the rows of the last window are exactly the number's active slots: on PostgreSQL one
    range scan of the index message_slots (from_number, slot_frees_at) per number, each
    bounded by the cap itself. The lookback is the cap window when that is shorter than a
    minute (test settings).
    """
    since = now - timedelta(seconds=min(60.0, settings.MESSAGING_RATE_WINDOW))
    sql = f"""
        SELECT n.id, s.sent, s.segments
        FROM {PhoneNumber._meta.db_table} n
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE m.sent_at >= %s) AS sent,
                   coalesce(sum(m.segments), 0) AS segments
            FROM {Message._meta.db_table} m
            WHERE m.from_number_id = n.id AND m.slot_frees_at > %s
        ) s
        WHERE s.segments > 0
    """  # noqa: S608 - table names from the models, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [since, now])
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def collect() -> Iterable[Metric]:
    now = timezone.now()
    queue = _queue_by_number(now)
    slots = _slots_by_number(now)

    # --- totals over every number -------------------------------------------------------
    totals = GaugeMetricFamily(
        "cyc_queue_messages",
        "Outbound messages waiting (QUEUED, SCHEDULED), in flight (SENDING) or held for "
        "staff review (HELD), over all numbers.",
        labels=["status"],
    )
    for status in IN_QUEUE:
        totals.add_metric([status], sum(e["depth"].get(status, 0) for e in queue.values()))
    # partial index message_held
    held = Message.objects.filter(status=S.HELD).aggregate(n=Count("id"), oldest=Min("created_at"))
    totals.add_metric([S.HELD], held["n"])
    yield totals

    yield GaugeMetricFamily(
        "cyc_messages_held_oldest_age_seconds",
        "Age of the oldest message waiting for staff review (0 when none).",
        value=(now - held["oldest"]).total_seconds() if held["oldest"] else 0,
    )
    dues = [e["oldest_due"] for e in queue.values() if e["oldest_due"] is not None]
    yield GaugeMetricFamily(
        "cyc_queue_oldest_due_age_seconds",
        "How long the oldest message that is due (send time passed) has waited to be sent, "
        "over all numbers (0 when nothing is due). Grows while no worker drains.",
        value=(now - min(dues)).total_seconds() if dues else 0,
    )
    yield GaugeMetricFamily(
        "cyc_messages_sent_last_minute",
        "Messages the carrier accepted in the last 60 s, over all numbers.",
        value=sum(sent for sent, _ in slots.values()),
    )

    # --- per number (bounded cardinality) -----------------------------------------------
    limit = settings.METRICS_TOP_NUMBERS
    activity: defaultdict[int | None, int] = defaultdict(int)
    for number_id, entry in queue.items():
        activity[number_id] += sum(entry["depth"].values())
    for number_id, (n_sent, n_segments) in slots.items():
        activity[number_id] += n_sent + n_segments
    # no number (None): inbound-only rows never wait; defensive
    chosen = sorted((k for k in activity if k is not None), key=lambda k: (-activity[k], k))[:limit]
    numbers = {n.pk: n for n in PhoneNumber.objects.filter(pk__in=chosen).only("e164", "uuid")}

    depth = GaugeMetricFamily(
        "cyc_number_queue_depth",
        "Messages per originating number by status (QUEUED, SCHEDULED, SENDING).",
        labels=[*NUMBER_LABELS, "status"],
    )
    oldest = GaugeMetricFamily(
        "cyc_number_oldest_due_age_seconds",
        "Per number: how long its oldest due message has waited (0 when none is due).",
        labels=NUMBER_LABELS,
    )
    sent = GaugeMetricFamily(
        "cyc_number_sent_last_minute",
        "Per number: messages the carrier accepted in the last 60 s.",
        labels=NUMBER_LABELS,
    )
    cap_used = GaugeMetricFamily(
        "cyc_number_cap_used_segments",
        "Per number: segments holding the rate cap now (at most cyc_rate_cap_segments).",
        labels=NUMBER_LABELS,
    )
    for number_id in chosen:
        number = numbers.get(number_id)
        if number is None:  # released and deleted between the two queries
            continue
        labels = [number.e164, str(number.uuid)]
        entry = queue.get(number_id, {"depth": {}, "oldest_due": None})
        for status in IN_QUEUE:
            depth.add_metric([*labels, status], entry["depth"].get(status, 0))
        due = entry["oldest_due"]
        oldest.add_metric(labels, (now - due).total_seconds() if due else 0)
        n_sent, n_segments = slots.get(number_id, (0, 0))
        sent.add_metric(labels, n_sent)
        cap_used.add_metric(labels, n_segments)
    yield depth
    yield oldest
    yield sent
    yield cap_used
    yield GaugeMetricFamily(
        "cyc_metrics_numbers_omitted",
        "Active numbers left out of the per-number series (METRICS_TOP_NUMBERS).",
        value=max(0, len(activity) - len(chosen)),
    )
    yield GaugeMetricFamily(
        "cyc_rate_cap_segments",
        "The cap: segments one number may have accepted in any sliding window.",
        value=settings.MESSAGING_RATE_LIMIT,
    )

    # --- lanes and callbacks ------------------------------------------------------------
    yield GaugeMetricFamily(
        "cyc_send_lanes_throttled",
        "Numbers the carrier is throttling now (429 / Retry-After).",
        value=SendLane.objects.filter(throttled_until__gt=now).count(),
    )
    # the table holds only receipts not yet applied (applied ones are deleted)
    waiting = StatusCallback.objects.aggregate(n=Count("id"), oldest=Min("received_at"))
    yield GaugeMetricFamily(
        "cyc_status_callbacks_waiting",
        "Delivery receipts stored by the webhook and not yet applied to their messages.",
        value=waiting["n"],
    )
    yield GaugeMetricFamily(
        "cyc_status_callbacks_oldest_age_seconds",
        "Age of the oldest receipt not yet applied (0 when none).",
        value=(now - waiting["oldest"]).total_seconds() if waiting["oldest"] else 0,
    )


def register() -> None:
    from accounts import metrics

    metrics.register("messaging", collect)
