"""Dashboard panels, contributed by the apps above the portal shell.

The shell cannot import campaigns, consent, messaging or policies, so each registers
``Panel(order, template, context)`` here from its own ``AppConfig.ready()`` (its panel code
in ``<app>/panels.py``); the dashboard renders each panel's template with what
``context(business)`` returns. A callable returning ``None`` hides its panel; one that
raises is logged and shown as "unavailable", so one broken app never takes the dashboard
down.

"What needs attention" is one panel of the shell's own that lists what every app reports:
an app adds an ``AttentionSource`` (a callable ``business -> list of items``) with an
``order``, and the items are listed source by source in that order.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse

logger = logging.getLogger(__name__)

DAYS = 14  # the activity panel's span


@dataclass(frozen=True)
class Panel:
    order: int
    template: str
    context: Callable[[object], dict | None]
    name: str = ""  # shown if the panel fails; defaults to the template name


_panels: list[Panel] = []


def register(panel: Panel) -> Panel:
    if all(p.template != panel.template for p in _panels):
        _panels.append(panel)
    return panel


def registered() -> list[Panel]:
    return sorted(_panels, key=lambda p: p.order)


@dataclass(frozen=True)
class RenderedPanel:
    order: int
    template: str
    context: dict
    failed: bool = False
    name: str = ""


def panels_for(business) -> list[RenderedPanel]:
    out = []
    for panel in registered():
        try:
            context = panel.context(business)
        except Exception:
            # A panel is a view onto another app: its failure must not hide the others.
            logger.exception("dashboard panel %s failed", panel.template)
            out.append(
                RenderedPanel(
                    panel.order, panel.template, {}, failed=True, name=panel.name or panel.template
                )
            )
            continue
        if context is not None:
            out.append(RenderedPanel(panel.order, panel.template, context, name=panel.name))
    return out


# --- what needs attention --------------------------------------------------------------


@dataclass(frozen=True)
class AttentionSource:
    order: int
    items: Callable[[object], list[dict]]


_attention: list[AttentionSource] = []


def register_attention(source: AttentionSource) -> AttentionSource:
    if all(s.items is not source.items for s in _attention):
        _attention.append(source)
    return source


def attention_items(business) -> list[dict]:
    """Things the owner should act on, worst first: each with what happened and what to do
    (``level``, ``title``, ``help``, ``url``, ``term``)."""
    out: list[dict] = []
    for source in sorted(_attention, key=lambda s: s.order):
        out.extend(source.items(business))
    return out


def attention_context(business) -> dict:
    return {"items": attention_items(business)}


# --- helpers for the apps' panels ------------------------------------------------------


def url_or_blank(name: str, **kwargs) -> str:
    """The URL named, or "" where that app's URLs are not mounted."""
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return ""


def business_zone(business) -> ZoneInfo:
    try:
        return ZoneInfo(business.time_zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def daily_counts(qs: QuerySet, field: str, zone: ZoneInfo, since: datetime) -> dict[date, int]:
    """Rows of ``qs`` per local day of ``field`` since ``since``."""
    rows = (
        qs.filter(**{f"{field}__gte": since})
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {r["day"]: r["n"] for r in rows}
