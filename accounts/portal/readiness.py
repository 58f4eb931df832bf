"""What a business still needs before it can send: steps contributed by each app.

The portal shell sits below the feature apps and cannot import them, so each registers its
steps here from its own ``AppConfig.ready()`` (the tenant base's vetting step from
``accounts.portal.apps``); the dashboard lists them in ``order``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import Business


@dataclass(frozen=True)
class Step:
    order: int
    title: str
    done: bool
    help: str
    url: str = ""
    blocking: bool = True  # False: recommended, not required to send


StepCheck = Callable[[object], Step | None]
_checks: list[StepCheck] = []


def register(check: StepCheck) -> StepCheck:
    if check not in _checks:
        _checks.append(check)
    return check


def steps_for(business) -> list[Step]:
    steps = [s for s in (check(business) for check in _checks) if s is not None]
    return sorted(steps, key=lambda s: s.order)


def vetting_step(business) -> Step:
    status = business.vetting_status
    help_text = {
        Business.Vetting.PENDING_REVIEW: (
            "Our compliance team checks every new business (usually within one business day). "
            "You can register your brand and campaign meanwhile."
        ),
        Business.Vetting.APPROVED: "Your business is approved.",
        Business.Vetting.SUSPENDED: f"Sending is suspended: {business.vetting_reason}",
        Business.Vetting.TERMINATED: f"This account is closed: {business.vetting_reason}",
    }[Business.Vetting(status)]
    return Step(
        order=10,
        title="Business vetted by our compliance team",
        done=status == Business.Vetting.APPROVED,
        help=help_text,
    )
