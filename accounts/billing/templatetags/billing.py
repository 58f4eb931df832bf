from django import template

from .. import money

register = template.Library()


@register.filter
def cents(value, currency: str = "USD") -> str:
    return money.format_cents(int(value or 0), currency or "USD")


@register.filter
def subcents(value, currency: str = "USD") -> str:
    return money.format_subcents(int(value or 0), currency or "USD")


@register.simple_tag
def usage_quantity(usage: dict, kind: str) -> int:
    return (usage.get(kind) or {}).get("quantity") or 0
