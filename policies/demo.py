"""Demo data for ``make run``: the demo owner has accepted the policy versions in force, as
an owner who signed up today would have (no "Review and accept" banner on every page)."""

from .documents import acceptance_record_current
from .documents_models import PolicyAcceptance


def seed(*, business, owner) -> None:
    acceptance_record_current(
        user=owner.user, business=business, method=PolicyAcceptance.Method.SIGNUP
    )
