"""The one error family. Services raise these; the API and portal translate them.

The generic errors are here, at the bottom of the stack; each app's ``errors.py`` holds its
own, all subclasses of ``ApplicationError``."""

from typing import Any


class ApplicationError(Exception):
    """Base of every expected failure: a machine code, a sentence, optional detail."""

    code = "application_error"
    status_code = 400
    default_message = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        detail: dict[str, Any] | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.detail = detail or {}
        self.fields = fields or {}
        super().__init__(self.message)


class NotFound(ApplicationError):
    """Missing and someone else's look the same, so existence is never confirmed."""

    code = "not_found"
    status_code = 404
    default_message = "Not found."


class PermissionDenied(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Your role does not allow this."


class ValidationFailed(ApplicationError):
    code = "invalid"
    status_code = 400
    default_message = "Some fields are not valid."


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = "This conflicts with the current state."


class RateLimited(ApplicationError):
    """Too many attempts from one visitor, number or key: try again later."""

    code = "rate_limited"
    status_code = 429
    default_message = "Too many attempts. Please wait a few minutes and try again."
