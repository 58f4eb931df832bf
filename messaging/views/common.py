"""What the portal pages of messaging share: the page size, form errors from a service's
error, the JSON error of the live checks, a message's outcome in a sentence."""

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.text import clause

from .. import selectors
from ..models import Message

PAGE = 50
SECRET_SESSION_KEY = "messaging:new-webhook-secret"  # noqa: S105 - a session key name


def _form_errors_from(exc: ApplicationError, form, aliases: dict | None = None) -> None:
    aliases = aliases or {}
    for field, errors in exc.fields.items():
        name = aliases.get(field, field)
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


def _error_json(exc: ApplicationError) -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": exc.code,
                "message": exc.message,
                "fields": exc.fields,
                "detail": exc.detail,
            }
        },
        status=exc.status_code,
    )


def _outcome_sentence(message: Message) -> tuple[str, str]:
    """(level, sentence) for the flash after a send."""
    outcome = selectors.message_outcome(message)
    reason = clause(outcome.reason)  # the reasons are sentences; here they end this one
    if message.status == Message.Status.BLOCKED:
        return "error", f"Not sent: {reason or 'a send rule stopped it'}."
    if message.status == Message.Status.HELD:
        return "warning", f"Held for review by our compliance team: {reason}."
    if message.status == Message.Status.SCHEDULED:
        when = timezone.localtime(message.send_after).strftime("%Y-%m-%d %H:%M %Z")
        extra = f" ({reason})" if reason else ""
        return "success", f"Scheduled for {when}{extra}. You can cancel it until then."
    return "success", (
        f"Waiting to go out: each number sends at most {settings.MESSAGING_RATE_LIMIT} texts "
        "a minute."
    )


# --- compose --------------------------------------------------------------------------------------
