"""``{{ message|outcome }}``: what happened to a message in words (label, tone, reason), the
same words as the message log (messaging.selectors.message_outcome)."""

from django import template

from messaging import selectors

register = template.Library()


@register.filter
def outcome(message) -> selectors.Outcome:
    return selectors.message_outcome(message)
