"""Errors of the Twilio-compatible API: each carries Twilio's code and HTTP status, and is
answered in Twilio's shape ``{code, message, more_info, status}`` (views.exception_handler).
They are ``ApplicationError``s like every other error of ours."""

from accounts.errors import ApplicationError

from . import formats


class TwilioError(ApplicationError):
    status_code = 400
    twilio_code = formats.INVALID_PARAMETER

    def __init__(self, twilio_code: int, message: str, *, status: int = 400, **kwargs) -> None:
        super().__init__(message, code=f"twilio_{twilio_code}", **kwargs)
        self.twilio_code = twilio_code
        self.status_code = status
