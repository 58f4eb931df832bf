"""``{% help_term "tcr" %}``: the inline explanation of one compliance term (a <details>).

Any portal template may use it: ``{% load portal_help %}`` then
``{% help_term "double_opt_in" %}`` or ``{% help_term "quiet_hours" "quiet hours" %}``
(the second argument replaces the visible label). The texts live in accounts/portal/help_terms.py.
"""

from django import template
from django.utils.html import escape

from accounts.portal import help_terms

register = template.Library()


@register.inclusion_tag("help/term.html")
def help_term(slug: str, label: str = ""):
    term = help_terms.get(slug)
    text = label or (term.label if term else slug)
    return {
        "term": term,
        # Labels are plain text, even when written as a literal in a template (which Django
        # would otherwise treat as safe HTML).
        "label": escape(text),
        # A label that asks ("What is vetting?") needs no "?" mark after it.
        "question": text.rstrip().endswith("?"),
        "slug": slug,
    }
