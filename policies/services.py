"""The policy gates. INTERFACE STUB: allows everything until the policy issue lands.

The signatures are the contract other apps code against; keep them.
"""

from typing import Any

from .decisions import ALLOW, Decision


def business_screen(*, name: str, industry_description: str, website: str) -> Decision:
    """Sign-up gate: is this business in a prohibited industry?"""
    return ALLOW


def campaign_check(
    *,
    usecase: str,
    sub_usecases: list[str],
    description: str,
    message_flow: str,
    samples: list[str],
    flags: dict[str, Any],
    brand_name: str,
    brand_domains: list[str],
) -> Decision:
    """Campaign submission gate: prohibited use cases, flags and sample content."""
    return ALLOW


def message_check(
    *,
    business: Any,
    body: str,
    kind: str,
    campaign: Any | None = None,
    from_number: str | None = None,
) -> Decision:
    """Every message at enqueue: content, links, opt-out language, conformance with the
    campaign (embeddedLink / embeddedPhone / use case), snowshoeing across numbers."""
    return ALLOW


def message_outcome_report(*, business: Any, event: str, detail: dict | None = None) -> None:
    """Risk signals from the send path (opt-out, STOP after first message, carrier
    filtering code, blocked message). The policy issue turns these into strikes."""
    return
