"""Cookie consent: the categories, the choice a browser made, and the gate.

Nothing but essential cookies before a choice. Code that wants a non-essential cookie or
to load analytics must ask here first:

- ``set_optional_cookie(request, response, key=..., value=..., category=...)`` sets it only
  when the browser's choice allows ``category`` (returns False otherwise);
- ``consent_allows(request, category)`` for anything else (and the template tag
  ``{% cookie_allowed "performance" as ok %}``; ``window.cycCookies.allowed(...)`` in JS);
- ``CookieGateMiddleware`` removes from every response any cookie whose category the
  browser has not allowed, and any cookie nobody registered (``register_cookie``).
"""

import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from accounts.client_ip import client_ip
from accounts.errors import ValidationFailed

from .anonymise import ip_truncate, user_agent_family
from .models import CookieConsentRecord

logger = logging.getLogger(__name__)

ESSENTIAL = "essential"
PERFORMANCE = "performance"
FUNCTIONALITY = "functionality"
ADVERTISING = "advertising"

CATEGORIES: dict[str, dict[str, str]] = {
    ESSENTIAL: {
        "label": "Essential",
        "description": "Logging in, keeping you logged in, protecting forms against forgery "
        "and remembering this choice. The site does not work without them, so they are "
        "always on.",
    },
    PERFORMANCE: {
        "label": "Performance and analytics",
        "description": "Which pages of the portal you use, with your browser and device "
        "family and a shortened IP address, so we can see what to improve. Shown in your "
        "data export.",
    },
    FUNCTIONALITY: {
        "label": "Functionality",
        "description": "Remembering preferences such as layout choices between visits.",
    },
    ADVERTISING: {
        "label": "Advertising",
        "description": "Measuring our own advertising. We run none today; nothing is set "
        "unless you allow it.",
    },
}
OPTIONAL = (PERFORMANCE, FUNCTIONALITY, ADVERTISING)
SIGNING_SALT = "accounts.cookies.consent"


def cookie_name() -> str:
    return settings.COOKIE_CONSENT_COOKIE_NAME


def policy_version() -> str:
    return str(settings.COOKIE_POLICY_VERSION)


# --- the registry of cookies we set ------------------------------------------------------


@dataclass(frozen=True)
class CookieInfo:
    name: str
    category: str
    purpose: str
    lifetime: str = ""


_registry: dict[str, CookieInfo] = {}


def register_cookie(*, name: str, category: str, purpose: str, lifetime: str = "") -> None:
    """Declare a cookie the site may set; unknown cookies are stripped by the gate."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown cookie category {category!r}.")
    _registry[name] = CookieInfo(name, category, purpose, lifetime)


def registered_cookies() -> list[CookieInfo]:
    _register_essentials()
    return sorted(_registry.values(), key=lambda c: (list(CATEGORIES).index(c.category), c.name))


def _register_essentials() -> None:
    # Read from settings lazily: test settings may rename them.
    essentials = [
        (settings.SESSION_COOKIE_NAME, "Keeps you logged in.", "two weeks or until log out"),
        (settings.CSRF_COOKIE_NAME, "Protects forms against forgery.", "one year"),
        ("messages", "Carries a one-off notice to the next page.", "until shown"),
        (cookie_name(), "Remembers your cookie choice.", "about six months"),
    ]
    for name, purpose, lifetime in essentials:
        if name not in _registry:
            _registry[name] = CookieInfo(name, ESSENTIAL, purpose, lifetime)


def category_of(name: str) -> str | None:
    _register_essentials()
    info = _registry.get(name)
    return info.category if info else None


# --- the browser's choice ----------------------------------------------------------------


@dataclass(frozen=True)
class CookieChoice:
    version: str
    browser_id: str
    allowed: dict[str, bool] = field(default_factory=dict)

    def allows(self, category: str) -> bool:
        if category == ESSENTIAL:
            return True
        return bool(self.allowed.get(category, False))

    def encode(self) -> str:
        flags = "".join("1" if self.allows(c) else "0" for c in OPTIONAL)
        return f"{self.version}|{flags}|{self.browser_id}"

    @classmethod
    def decode(cls, raw: str) -> "CookieChoice | None":
        try:
            version, flags, browser_id = raw.split("|")
            uuid.UUID(browser_id)
        except ValueError:
            return None
        if len(flags) != len(OPTIONAL) or set(flags) - {"0", "1"}:
            return None
        allowed = {c: f == "1" for c, f in zip(OPTIONAL, flags, strict=True)}
        return cls(version=version, browser_id=browser_id, allowed=allowed)


def _stored_choice(request: HttpRequest) -> CookieChoice | None:
    raw = request.get_signed_cookie(cookie_name(), default=None, salt=SIGNING_SALT)
    return CookieChoice.decode(raw) if raw else None


def current_choice(request: HttpRequest) -> CookieChoice | None:
    """The browser's choice for the current policy version, or None (the banner shows)."""
    if not hasattr(request, "_cookie_choice"):
        choice = _stored_choice(request)
        if choice is not None and choice.version != policy_version():
            choice = None  # a new cookie policy asks again
        request._cookie_choice = choice  # type: ignore[attr-defined]  # memo for this request
    return request._cookie_choice  # type: ignore[attr-defined]


def consent_allows(request: HttpRequest, category: str) -> bool:
    """True only if this browser's current choice allows ``category`` (essential: always)."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown cookie category {category!r}.")
    if category == ESSENTIAL:
        return True
    choice = current_choice(request)
    return choice is not None and choice.allows(category)


def set_optional_cookie(
    request: HttpRequest,
    response: HttpResponse,
    *,
    key: str,
    value: str,
    category: str,
    **kwargs,
) -> bool:
    """Set a non-essential cookie only with consent. Returns whether it was set."""
    if category == ESSENTIAL:
        raise ValueError("Essential cookies are set directly; this gate is for the others.")
    if category_of(key) != category:
        raise ValueError(f"Register cookie {key!r} as {category!r} first (register_cookie).")
    if not consent_allows(request, category):
        return False
    response.set_cookie(key, value, samesite="Lax", secure=request.is_secure(), **kwargs)
    return True


# --- recording a choice ------------------------------------------------------------------

METHODS = ("accept_all", "reject_all", "customise")
# Choices recorded per truncated IP and hour: a person changes their mind a few times, a
# script filling the table is refused (an office behind one NAT stays far below this).
RECORDS_PER_HOUR = 120


def consent_rate_exceeded(request: HttpRequest) -> bool:
    key = f"cookie-consent-rate:{ip_truncate(client_ip(request)) or 'none'}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) > RECORDS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return False


@transaction.atomic
def cookie_consent_record(
    *,
    request: HttpRequest,
    response: HttpResponse,
    method: str,
    choices: dict[str, bool] | None = None,
) -> CookieConsentRecord:
    """Store a browser's choice: the essential cookie and an append-only record."""
    if method not in METHODS:
        raise ValidationFailed(fields={"action": ["Choose accept all, reject all or save."]})
    if method == "accept_all":
        allowed = dict.fromkeys(OPTIONAL, True)
    elif method == "reject_all":
        allowed = dict.fromkeys(OPTIONAL, False)
    else:
        allowed = {c: bool((choices or {}).get(c, False)) for c in OPTIONAL}
    previous = _stored_choice(request)
    browser_id = previous.browser_id if previous else str(uuid.uuid4())
    choice = CookieChoice(version=policy_version(), browser_id=browser_id, allowed=allowed)
    user = getattr(request, "user", None)
    record = CookieConsentRecord.objects.create(
        browser_id=browser_id,
        user=user if user is not None and user.is_authenticated else None,
        policy_version=choice.version,
        choices={ESSENTIAL: True, **allowed},
        method=method,
        ip_anonymised=ip_truncate(client_ip(request)),
        user_agent_family=user_agent_family(request.META.get("HTTP_USER_AGENT"))[:100],
    )
    response.set_signed_cookie(
        cookie_name(),
        choice.encode(),
        salt=SIGNING_SALT,
        max_age=settings.COOKIE_CONSENT_MAX_AGE_DAYS * 86400,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    request._cookie_choice = choice  # type: ignore[attr-defined]  # the memo current_choice reads
    return record


# --- the gate on every response ----------------------------------------------------------


def _is_deletion(morsel) -> bool:
    return morsel["max-age"] == 0 or str(morsel["max-age"]) == "0"


class CookieGateMiddleware:
    """Outermost middleware: drops every cookie the browser's choice does not allow."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for name in list(response.cookies):
            morsel = response.cookies[name]
            if _is_deletion(morsel):
                continue  # removing a cookie is always allowed
            category = category_of(name)
            if category is None:
                logger.error(
                    "Cookie %r is not registered (accounts.privacy.cookies): dropped.", name
                )
                del response.cookies[name]
            elif not consent_allows(request, category):
                del response.cookies[name]
        return response
