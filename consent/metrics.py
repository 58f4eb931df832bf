"""Opt-outs for Prometheus: the count of OPT_OUT events in the consent ledger.

Registered with ``accounts.metrics`` from ``ConsentConfig.ready()``.

The ledger only grows (append-only, never deleted), so the count is a true counter; but
counting it whole at every scrape would scan the ledger. Instead the count is kept per
business with the ledger sequence it covers, in the shared cache, and each scrape counts
only the events past that sequence: one read of ``ChainHead`` (a row per business) and one
range scan of the unique index (business, seq) for the businesses that have new events.
That is exact because a business's events are appended under its chain-head lock: once
the head says ``seq = k`` is committed, every event up to ``k`` is visible too. After the
cache is lost (Redis restart) the first scrape counts the ledger once.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import connection
from prometheus_client.core import CounterMetricFamily, Metric

from .models import ChainHead, ConsentEvent, EventKind

STATE_KEY = "metrics:consent-opt-outs:v1"  # {business_id: (seq covered, opt-outs up to it)}
LOCK_KEY = "metrics:consent-opt-outs:lock"


def _count_ranges(ranges: dict[int, tuple[int, int]]) -> dict[int, int]:
    """OPT_OUT events per business with ``lo < seq <= hi``."""
    if not ranges:
        return {}
    ids, los, his = zip(*((b, lo, hi) for b, (lo, hi) in ranges.items()), strict=True)
    sql = f"""
        SELECT e.business_id, count(*)
        FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS w(business_id, lo, hi)
        JOIN {ConsentEvent._meta.db_table} e
          ON e.business_id = w.business_id AND e.seq > w.lo AND e.seq <= w.hi
        WHERE e.kind = %s
        GROUP BY e.business_id
    """  # noqa: S608 - the table name from the model, values as parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(ids), list(los), list(his), EventKind.OPT_OUT])
        return dict(cursor.fetchall())


def opt_outs_total() -> int:
    """Every OPT_OUT event in the ledger, of every business."""
    state: dict[int, tuple[int, int]] = cache.get(STATE_KEY) or {}
    heads = dict(ChainHead.objects.values_list("business_id", "seq"))
    behind = any(state.get(b, (0, 0))[0] < seq for b, seq in heads.items())
    # one process brings the state forward; the others report the last state meanwhile
    if behind and cache.add(LOCK_KEY, 1, timeout=60):
        try:
            state = cache.get(STATE_KEY) or {}
            ranges = {
                b: (state.get(b, (0, 0))[0], seq)
                for b, seq in heads.items()
                if state.get(b, (0, 0))[0] < seq
            }
            new = _count_ranges(ranges)
            for b, (_, hi) in ranges.items():
                state[b] = (hi, state.get(b, (0, 0))[1] + new.get(b, 0))
            cache.set(STATE_KEY, state, timeout=None)
        finally:
            cache.delete(LOCK_KEY)
    return sum(count for _, count in state.values())


def collect() -> Iterable[Metric]:
    yield CounterMetricFamily(
        "cyc_opt_outs",
        "Opt-out events in the consent ledger (STOP keywords, portal, API, imports), "
        "all businesses, since the beginning.",
        value=opt_outs_total(),
    )


def register() -> None:
    from accounts import metrics

    metrics.register("consent", collect)
