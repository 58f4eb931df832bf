"""Reads for the portal and the admin: a business's decisions, strikes and hold."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.errors import NotFound

from .models import PolicyDecision, PolicyHold, Strike


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
