"""Data-subject rights hooks for apps above consent (which consent may not import).

An app that holds personal data about contacts registers from its AppConfig.ready():

    from consent import erasure
    erasure.register(erase_messages)            # fn(*, business, contact) -> dict | None
    erasure.register_exporter("messages", fn)   # fn(*, business, contact) -> list | dict

``contact_erase`` runs every eraser in its transaction (a failure aborts the erasure);
the export includes every exporter's section under its name.
"""

from collections.abc import Callable
from typing import Any

Eraser = Callable[..., Any]
_erasers: list[Eraser] = []
_exporters: dict[str, Callable[..., Any]] = {}


def register(fn: Eraser) -> Eraser:
    if fn not in _erasers:
        _erasers.append(fn)
    return fn


def register_exporter(name: str, fn: Callable[..., Any]) -> None:
    _exporters[name] = fn


def exporters() -> dict[str, Callable[..., Any]]:
    return dict(_exporters)


def run_erasers(*, business, contact) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for fn in _erasers:
        name = f"{fn.__module__}.{fn.__qualname__}"
        result = fn(business=business, contact=contact)
        # stored in the audit trail: keep it JSON
        results[name] = (
            result if isinstance(result, dict | list | int | str | None) else str(result)
        )
    return results
