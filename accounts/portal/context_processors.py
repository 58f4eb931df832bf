from accounts.roles import Cap, role_can
from accounts.selectors import memberships_for_user

from .navigation import nav_for


def tenant(request):
    membership = getattr(request, "membership", None)
    caps = {c.value: bool(membership and role_can(membership.role, c)) for c in Cap}
    user = getattr(request, "user", None)
    others = []
    if membership is not None and user is not None and user.is_authenticated:
        others = [m.business for m in memberships_for_user(user=user)]
    return {
        "current_business": getattr(request, "business", None),
        "current_membership": membership,
        "my_businesses": others,
        "can": caps,
        "nav": nav_for(membership.role if membership else None, request.path),
    }
