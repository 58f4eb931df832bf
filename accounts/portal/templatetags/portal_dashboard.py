"""``{% dashboard_panels business %}`` renders every registered dashboard panel."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from accounts.portal.dashboard import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def dashboard_panels(context, business):
    request = context.get("request")
    html = []
    for panel in panels_for(business):
        if panel.failed:
            html.append(
                render_to_string(
                    "accounts/panels/failed.html", {"name": panel.name}, request=request
                )
            )
            continue
        html.append(
            render_to_string(
                panel.template, {**panel.context, "business": business}, request=request
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - each part is an autoescaped template
