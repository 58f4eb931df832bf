"""Prometheus metrics: a registry that the apps above accounts fill from ``AppConfig.ready()``.

    from accounts import metrics
    metrics.register("messaging", collect)   # collect() -> Iterable[prometheus Metric]

Every figure is computed from the database when ``/metrics`` is scraped (a custom
collector, not counters kept in process memory), so it is the same whichever of many web
processes answers, and workers need not expose anything. Collectors must stay cheap: one
or two aggregate queries served by an index, and no personal data (no contact phone,
name or message body) in any label. See docs/deploy.md for the metrics and their meaning.
"""

import logging
import time
from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

CollectFn = Callable[[], Iterable[Metric]]
_collectors: dict[str, CollectFn] = {}


def register(name: str, fn: CollectFn) -> None:
    """Add (or replace) the collector ``name``; its metrics appear in every scrape."""
    _collectors[name] = fn


def collector_names() -> list[str]:
    return sorted(_collectors)


class _Collector:
    """Runs every registered collector; one that fails is counted, the others still report."""

    def collect(self) -> Iterable[Metric]:
        errors = GaugeMetricFamily(
            "cyc_metrics_collector_up",
            "1 if the collector answered in this scrape, 0 if it raised (see the logs).",
            labels=["collector"],
        )
        seconds = GaugeMetricFamily(
            "cyc_metrics_collector_seconds",
            "Time the collector's queries took in this scrape.",
            labels=["collector"],
        )
        for name in sorted(_collectors):
            started = time.monotonic()
            try:
                # materialise, so a failure halfway leaves no partial families behind
                families = list(_collectors[name]())
            except Exception:  # one broken collector must not hide the others
                logger.exception("metrics collector %s failed", name)
                errors.add_metric([name], 0)
                families = []
            else:
                errors.add_metric([name], 1)
            seconds.add_metric([name], round(time.monotonic() - started, 6))
            yield from families
        yield errors
        yield seconds


def exposition() -> bytes:
    """The Prometheus text format of every registered collector, computed now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector())
    return generate_latest(registry)
