"""Dashboard panels, contributed by the apps above accounts.

accounts cannot import campaigns, consent or messaging, so they (or the interface module
``accounts.dashboard_panels``, which imports them lazily inside each callable) register
``Panel(order, template, context)`` here; the dashboard renders each panel's template with
what ``context(business)`` returns. A callable returning ``None`` hides its panel; one
that raises is logged and shown as "unavailable", so one broken app never takes the
dashboard down.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


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
