"""Reads for the portal and the admin: a business's decisions, strikes and hold."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.errors import NotFound

from .models import BusinessScreening, PolicyDecision, PolicyHold, RuleSet, Strike


def decision_list(*, business) -> QuerySet[PolicyDecision]:
    return PolicyDecision.objects.filter(business=business).order_by("-created_at", "-id")


def decision_get(*, business, decision_uuid) -> PolicyDecision:
    try:
        return PolicyDecision.objects.get(business=business, uuid=decision_uuid)
    except (PolicyDecision.DoesNotExist, ValueError, ValidationError) as exc:  # not a uuid
        raise NotFound("No such decision.") from exc


def strike_list(*, business) -> QuerySet[Strike]:
    return Strike.objects.filter(business=business).order_by("-created_at", "-id")


def hold_current(*, business) -> PolicyHold | None:
    return PolicyHold.objects.filter(business=business, active=True).first()


def screening_labels() -> list[dict]:
    """Staff decisions on flagged sign-ups as labelled rows (the corpus format): an approved
    business is ``allow``, a rejected one ``block`` with the category the screen gave it."""
    rows = []
    decided = BusinessScreening.objects.filter(
        status__in=[BusinessScreening.Status.APPROVED, BusinessScreening.Status.REJECTED]
    ).order_by("decided_at", "id")
    for s in decided:
        block = s.status == BusinessScreening.Status.REJECTED
        cats = [c for c in (s.categories or []) if c not in ("evasion", "missing_opt_out")]
        rows.append(
            {
                "id": f"staff-b-{s.uuid}",
                "name": s.name,
                "industry_description": s.industry_description,
                "website": s.website,
                "expected": "block" if block else "allow",
                "category": (cats[0] if cats else "fraud_deceptive") if block else None,
                "evasive": "evasion" in (s.categories or []),
                "staff_reason": s.staff_reason,
                "decided_at": s.decided_at.isoformat() if s.decided_at else None,
            }
        )
    return rows


def rules_changed_at() -> datetime | None:
    """When staff or a fixture last changed the content rules (the send path's re-check at
    dispatch compares it with when a message was queued)."""
    return RuleSet.objects.values_list("updated_at", flat=True).first()


# The hold read in a statement the request makes anyway (the send API's first statement:
# messaging.selectors.api_key_contact_and_number_find): no round trip of its own.
_READ_WITH_BUSINESS = "_policy_hold_read"


def hold_column(*, business: str) -> str:
    """SQL for a SELECT list: the reason of the first active hold of the business whose id
    is the SQL ``business`` (NULL: none), for ``hold_attach``."""
    return (
        f"(SELECT h.reason FROM {PolicyHold._meta.db_table} h "  # noqa: S608 - our names
        f"WHERE h.active AND h.business_id = {business} ORDER BY h.id LIMIT 1)"
    )


def hold_attach(instance, reason: str | None) -> None:
    """Give ``instance`` (this request's Business) the hold read with it (``hold_column``):
    the policy gate answers from it instead of asking. (Not a tenant read: it reads nothing.)"""
    setattr(instance, _READ_WITH_BUSINESS, (reason,))


def hold_read_with_business(instance) -> tuple | None:
    """(the active hold's reason or None,) when ``hold_attach`` gave it to this Business
    instance; None otherwise."""
    return getattr(instance, _READ_WITH_BUSINESS, None)
