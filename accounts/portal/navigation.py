"""Portal navigation: every entry is registered from an ``AppConfig.ready()`` (the tenant
base's pages from ``accounts.portal.apps``, each feature from its own app); nothing else adds
one. ``order`` places an entry and is unique: a second entry at a taken order is refused at
start-up, so the menu's order never depends on which app happened to load first. The order
also says which group of the menu an entry sits in (``SECTIONS``): a new owner meets five
short groups — what they text, whom, how they are registered, what their software uses, and
their account — not one list of twenty-odd pages.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from accounts.roles import Cap, role_can


@dataclass(frozen=True)
class NavItem:
    order: int
    label: str
    url_name: str
    cap: Cap = Cap.VIEW


# (first order of the group, its heading); the entries before the first group have none
SECTIONS = (
    (20, "Texting"),
    (40, "Clients"),
    (50, "Registration"),
    (70, "Developers"),
    (80, "Account"),
)


def section_of(order: int) -> str:
    heading = ""
    for start, name in SECTIONS:
        if order >= start:
            heading = name
    return heading


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    """Add ``item`` (idempotent); another entry at the same ``order`` is a wiring error."""
    if item in _items:
        return
    taken = next((i for i in _items if i.order == item.order), None)
    if taken is not None:
        raise ImproperlyConfigured(
            f"navigation order {item.order} is taken by {taken.label!r}; "
            f"give {item.label!r} an order of its own"
        )
    _items.append(item)


def nav_for(role: str | None, current_path: str) -> list[dict]:
    out = []
    for item in sorted(_items, key=lambda i: i.order):
        if role is None or not role_can(role, item.cap):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url or (url != "/app/" and current_path.startswith(url))
        out.append(
            {
                "label": item.label,
                "url": url,
                "active": active,
                "section": section_of(item.order),
            }
        )
    return out
