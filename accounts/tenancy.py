"""Portal base: every tenant page inherits TenantMixin and names the capability it needs.

The business comes from the member's session (never from a URL parameter); ids in URLs
are resolved by selectors that take that business, so another tenant's object is a 404.
"""

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from .client_ip import client_ip
from .errors import ApplicationError, NotFound
from .models import Business, Membership, User
from .roles import Cap, role_can

if TYPE_CHECKING:
    from django.views.generic.base import ContextMixin

    # The mixin's get_context_data extends the view's; at run time the view class
    # (a TemplateView) supplies it, later in the MRO.
    _ContextBase = ContextMixin
else:
    _ContextBase = object

__all__ = ["TenantMixin", "client_ip", "form_errors_show", "page_again", "signed_in_user"]


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` in a view behind a login check (TenantMixin, LoginRequiredMixin),
    where it cannot be the AnonymousUser."""
    user = request.user
    assert isinstance(user, User), "reached only behind a login check"
    return user


class TenantMixin(LoginRequiredMixin, _ContextBase):
    """Login required, a membership required, and the role must carry ``required_cap``.

    ``write_cap`` (if set) is needed for POST/PUT/PATCH/DELETE.
    """

    business: Business  # set by dispatch
    membership: Membership
    required_cap: Cap = Cap.VIEW
    write_cap: Cap | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.membership is None:
            return redirect("portal:no-business")
        self.business = request.business
        self.membership = request.membership
        cap = self.required_cap
        if request.method not in ("GET", "HEAD", "OPTIONS") and self.write_cap is not None:
            cap = self.write_cap
        if not role_can(self.membership.role, cap):
            raise DjangoPermissionDenied("Your role does not allow this.")
        try:
            return super().dispatch(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["business"] = self.business
        context["membership"] = self.membership
        return context


def form_errors_show(
    form, exc: ApplicationError, aliases: Mapping[str, str] | Callable[[str], str] | None = None
) -> None:
    """A service's field errors next to the form's fields (``aliases``: a service's field
    name to the form's, as a dict or a function); its message above the form when none
    of them is a field of the form."""
    placed = False
    for name, errors in (exc.fields or {}).items():
        target = aliases(name) if callable(aliases) else (aliases or {}).get(name, name)
        if target in form.fields:
            for error in errors:
                form.add_error(target, error)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


def page_again(view_class, source, *, status: int = 400, **context):
    """The page of ``view_class`` (a TenantMixin TemplateView) for the request that the
    view ``source`` serves, with ``context`` (forms with their errors, a report): what a
    form's POST answers when the form goes back to the page it came from."""
    view = view_class()
    view.setup(source.request)
    view.business, view.membership = source.business, source.membership
    return view.render_to_response(view.get_context_data(**context), status=status)
