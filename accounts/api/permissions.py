from rest_framework import permissions

from accounts.roles import Cap, role_can


class HasBusinessRole(permissions.BasePermission):
    """The key's role must carry the view's ``required_cap`` (``write_cap`` for writes)."""

    message = "This API key's role does not allow this."

    def has_permission(self, request, view):
        principal = request.user
        if principal is None or not getattr(principal, "is_authenticated", False):
            return False
        cap = getattr(view, "required_cap", Cap.VIEW)
        write_cap = getattr(view, "write_cap", None)
        if request.method not in permissions.SAFE_METHODS and write_cap is not None:
            cap = write_cap
        return role_can(principal.role, cap)
