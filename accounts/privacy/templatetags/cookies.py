"""Template side of the cookie gate.

- ``{% cookie_banner %}``: the consent banner, only while this browser has no current choice.
- ``{% cookie_allowed "performance" as ok %}{% if ok %}<script …>{% endif %}``: load anything
  non-essential (analytics, ads) only when the choice allows it.
"""

from django import template
from django.urls import reverse

from accounts.privacy.cookies import CATEGORIES, OPTIONAL, consent_allows, current_choice

register = template.Library()


@register.simple_tag(takes_context=True)
def cookie_allowed(context, category: str) -> bool:
    request = context.get("request")
    return request is not None and consent_allows(request, category)


@register.inclusion_tag("cookies/banner.html", takes_context=True)
def cookie_banner(context):
    request = context.get("request")
    choice = current_choice(request) if request is not None else None
    return {
        "request": request,
        # not on the settings page itself: the full form is already there
        "show": request is not None
        and choice is None
        and request.path != reverse("cookie-settings"),
        "categories": [(c, CATEGORIES[c]) for c in OPTIONAL],
        "state": {c: bool(choice and choice.allows(c)) for c in OPTIONAL},
        "next": request.get_full_path() if request is not None else "/",
        "csrf_token": context.get("csrf_token"),
    }
