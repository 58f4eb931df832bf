"""Reads of privacy that are more than one line."""

from accounts.models import Business, Membership, User
from accounts.roles import Role


def businesses_blocking_erasure(*, user: User) -> list[Business]:
    """Open businesses where this person is the only owner: their account cannot be erased
    until someone else owns them (or they are closed)."""
    blocking = []
    owned = Membership.objects.filter(user=user, role=Role.OWNER).select_related("business")
    for m in owned:
        if m.business.vetting_status == Business.Vetting.TERMINATED:
            continue
        if Membership.objects.filter(business=m.business, role=Role.OWNER).count() == 1:
            blocking.append(m.business)
    return blocking
