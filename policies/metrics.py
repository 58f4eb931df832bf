"""Today's send outcomes for Prometheus, from the daily risk counters.

Registered with ``accounts.metrics`` from ``PoliciesConfig.ready()``. The send path reports
every outcome to ``services.message_outcome_report``, which adds it to the business's
``RiskCounter`` row of the day; summing today's rows (index riskcounter_day) gives
counters over all businesses. They restart at local midnight (``TIME_ZONE``): the
``_created`` sample says so, and ``rate()`` / ``increase()`` treat it as a counter reset.
"""

from collections.abc import Iterable
from datetime import datetime, time

from django.db.models import Sum
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, Metric

from .models import RiskCounter

EVENTS = ("sent", "delivered", "failed", "blocked", "carrier_filtered", "opt_out")


def collect() -> Iterable[Metric]:
    today = timezone.localdate()
    sums = RiskCounter.objects.filter(day=today).aggregate(**{e: Sum(e) for e in EVENTS})
    midnight = timezone.make_aware(datetime.combine(today, time.min))
    counter = CounterMetricFamily(
        "cyc_message_outcomes",
        "Send outcomes of all businesses since local midnight: sent (accepted by the "
        "carrier), delivered, failed, blocked (refused by a gate at enqueue), "
        "carrier_filtered, opt_out (STOP keywords).",
        labels=["event"],
        created=midnight.timestamp(),
    )
    for event in EVENTS:
        counter.add_metric([event], sums[event] or 0, created=midnight.timestamp())
    yield counter


def register() -> None:
    from accounts import metrics

    metrics.register("policies", collect)
