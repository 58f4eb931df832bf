"""The sign-in lockout per address across emails (django-axes counts per email and
address): LOGIN_FAILURES_PER_ADDRESS failures from one client IP in AXES_COOLOFF_TIME lock
that address out of every account until the window passes."""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from accounts.client_ip import client_ip

LOCKED_MESSAGE = (
    "Too many failed sign-ins from your network. Wait a few minutes and try again, or reset "
    "your password."
)


def _key(ip: str) -> str:
    return f"login-failures:{ip}"


def _window() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds())


# django-axes keeps the typed name in a varchar(255); no email is longer (254)
AXES_USERNAME_MAX = 255


def axes_username(request, credentials) -> str | None:
    """Axes counts an email once, however it was typed (and however long: cut to what its
    table holds, which no real email reaches)."""
    username = (credentials or {}).get("username")
    if username is None:
        username = getattr(request, "POST", {}).get("username")
    if not isinstance(username, str):
        return username
    return username.strip().lower()[:AXES_USERNAME_MAX]


def address_locked(request) -> bool:
    ip = client_ip(request) if request is not None else None
    if not ip:
        return False
    return (cache.get(_key(ip)) or 0) >= settings.LOGIN_FAILURES_PER_ADDRESS


def count_failure(sender, credentials=None, request=None, **kwargs) -> None:
    ip = client_ip(request) if request is not None else None
    if not ip:
        return
    cache.add(_key(ip), 0, timeout=_window())
    try:
        cache.incr(_key(ip))
    except ValueError:  # expired between add and incr
        cache.set(_key(ip), 1, timeout=_window())


class AddressLockoutBackend:
    """Before ModelBackend: refuses every sign-in from a locked address. No ``get_user``:
    it never signs anyone in, so Django never picks it to load a session's user."""

    def authenticate(self, request, **credentials):
        if request is not None and address_locked(request):
            request.axes_locked_out = True  # AxesMiddleware answers with the lockout page (429)
            raise PermissionDenied(LOCKED_MESSAGE)
        return
