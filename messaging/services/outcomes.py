"""Risk signals from message outcomes, reported down to policies (blocked, sent, failed,
opt-outs...): messaging calls ``policies.services.message_outcome_report``, never the
other way round."""

import logging

from accounts.models import Business
from policies import services as policy_services

log = logging.getLogger(__name__)


def outcome_report(business: Business, event: str, detail: dict | None = None) -> None:
    """Report one outcome; a failure is logged, never raised (a risk signal must never
    break the send path)."""
    try:
        policy_services.message_outcome_report(business=business, event=event, detail=detail)
    except Exception:
        log.exception("message_outcome_report failed for %s", event)


def outcomes_report(events: list[tuple[int, str, dict]]) -> None:
    """One outcome report per business and event, with the count and the message ids."""
    if not events:
        return
    grouped: dict[tuple[int, str], list[dict]] = {}
    for business_id, event, detail in events:
        grouped.setdefault((business_id, event), []).append(detail)
    businesses = Business.objects.in_bulk({b for b, _ in grouped})
    for (business_id, event), details in grouped.items():
        outcome_report(
            businesses[business_id], event, {"count": len(details), "items": details[:100]}
        )
