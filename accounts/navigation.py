"""Portal navigation, contributed by each app from ``AppConfig.ready()``."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from .roles import Cap, role_can


@dataclass(frozen=True)
class NavItem:
    order: int
    label: str
    url_name: str
    cap: Cap = Cap.VIEW


_items: list[NavItem] = [
    NavItem(10, "Dashboard", "portal:dashboard"),
    NavItem(80, "Team", "portal:team"),
    NavItem(85, "API keys", "portal:api-keys", Cap.MANAGE_API_KEYS),
    NavItem(90, "Business", "portal:business"),
]


def register(item: NavItem) -> None:
    if item not in _items:
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
        out.append({"label": item.label, "url": url, "active": active})
    return out
