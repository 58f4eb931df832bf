"""Twilio's words for our things, pure (no ORM): SIDs, dates, statuses, error codes.

A message's SID is "SM" + the 32 hex digits of its uuid, so no column is needed and a SID
names exactly one message. Dates are RFC 2822 in GMT, as Twilio writes them. Every gate
refusal maps to the nearest Twilio error code (README: "Errors"); our own reason always
goes in the message.
"""

import re
import uuid
from datetime import UTC, datetime

API_VERSION = "2010-04-01"
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
SID_RE = re.compile(r"^SM([0-9a-fA-F]{32})$")
ACCOUNT_SID_RE = re.compile(r"^AC[0-9a-fA-F]{32}$")
SERVICE_SID_RE = re.compile(r"^MG([0-9a-fA-F]{32})$")
PAGE_TOKEN_PREFIX = "PA"  # noqa: S105 - a label of page tokens, not a secret

# our Message.Status -> Twilio's status word
STATUS = {
    "QUEUED": "queued",
    "SCHEDULED": "scheduled",
    "HELD": "accepted",  # waiting for our compliance staff: accepted, not yet queued
    "BLOCKED": "failed",
    "SENDING": "sending",
    "SENT": "sent",
    "DELIVERED": "delivered",
    "UNDELIVERED": "undelivered",
    "FAILED": "failed",
    "CANCELED": "canceled",
    "EXPIRED": "failed",
    "RECEIVED": "received",
}

# Twilio codes used here (https://www.twilio.com/docs/errors/<code>)
AUTH = 20003  # Authentication Error
NOT_FOUND = 20404  # The requested resource was not found
TOO_MANY = 20429  # Too Many Requests
NOT_COMPLETE = 20009  # Cannot delete this resource before it is complete
INVALID_TO = 21211  # Invalid 'To' Phone Number
NOT_MOBILE = 21614  # 'To' number is not a valid mobile number
TO_REQUIRED = 21604  # 'To' phone number is required to send a Message
BODY_REQUIRED = 21602  # Message body is required
BODY_TOO_LONG = 21617  # The concatenated message body exceeds the 1600 character limit
FROM_REQUIRED = 21603  # 'From' phone number is required to send a Message
FROM_NOT_USABLE = 21606  # The 'From' phone number is not a valid, message-capable number
FROM_NOT_OURS = 21659  # 'From' is not a number of this account
UNSUBSCRIBED = 21610  # Attempt to send to unsubscribed recipient
NO_CAMPAIGN = 21717  # Number must be assigned to a Campaign to send US traffic
ACCOUNT_SUSPENDED = 30002  # Account suspended
FILTERED = 30007  # Message filtered
UNKNOWN_ERROR = 30008  # Unknown error
VALIDITY_EXPIRED = 30036  # Validity Period Expired
CANNOT_CANCEL = 30409  # This message cannot be canceled
INVALID_MEDIA = 21620  # Invalid media URL(s)
TOO_MANY_MEDIA = 21623  # Number of media files exceeds allowed limit
INVALID_PARAMETER = 20001  # a parameter that cannot be used (ValidityPeriod, Status, PageSize ...)
CONTENT_SID_REQUIRED = 21654  # A ContentSid must be specified if ContentVariables are provided
CONTENT_SID_INVALID = 21655  # The ContentSid is Invalid
CONTENT_VARIABLES = 21656  # The ContentVariables Parameter is invalid
SERVICE_INVALID = 21701  # The Messaging Service does not exist
SCHEDULE_TYPE = 35111  # Invalid ScheduleType
SCHEDULE_TIME = 35114  # Scheduling does not support this timestamp

# (gate, our code) -> Twilio code; a gate alone when every code of it maps the same way
_NUMBER_CODES = {
    "business_not_approved": ACCOUNT_SUSPENDED,
    "wrong_business": FROM_NOT_OURS,
    "number_inactive": FROM_NOT_USABLE,
    "number_unassigned": NO_CAMPAIGN,
    "campaign_not_approved": NO_CAMPAIGN,
    "campaign_not_automated": NO_CAMPAIGN,
    "kind_not_in_usecase": NO_CAMPAIGN,
    "campaign_no_mms": FROM_NOT_USABLE,  # media on a campaign not registered for MMS
}
_GATE_CODES = {
    "number": FROM_NOT_USABLE,
    "consent": UNSUBSCRIBED,
    "policy": FILTERED,
    "review": FILTERED,
    "validity": VALIDITY_EXPIRED,
}


def message_sid(message_uuid: uuid.UUID) -> str:
    return f"SM{message_uuid.hex}"


def uuid_from_sid(sid: str) -> uuid.UUID | None:
    match = SID_RE.match(sid or "")
    return uuid.UUID(match.group(1)) if match else None


def uuid_from_service_sid(sid: str) -> uuid.UUID | None:
    match = SERVICE_SID_RE.match(sid or "")
    return uuid.UUID(match.group(1)) if match else None


def service_sid(campaign_uuid: uuid.UUID) -> str:
    """A Messaging Service is one of our campaigns: "MG" + its uuid's hex."""
    return f"MG{campaign_uuid.hex}"


def rfc2822(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def failure(reasons: list[dict]) -> tuple[int, str] | None:
    """The Twilio code and our sentence for the first refusing gate in ``reasons``, or None
    when nothing refused (notes such as a reclassified kind or quiet hours are not)."""
    for reason in reasons or []:
        gate, code = reason.get("gate", ""), reason.get("code", "")
        if gate in ("kind", "quiet_hours") or code in ("released", "allow", "ok"):
            continue
        if gate == "number":
            twilio_code = _NUMBER_CODES.get(code, _GATE_CODES["number"])
        else:
            twilio_code = _GATE_CODES.get(gate, FILTERED)
        return twilio_code, reason.get("message") or code
    return None


def error_code(*, status: str, reasons: list[dict], provider_code: str) -> int | None:
    """The ``error_code`` of a message resource (and of its status callbacks)."""
    if status in ("BLOCKED", "EXPIRED"):
        found = failure(reasons)
        if found is not None:
            return found[0]
        return VALIDITY_EXPIRED if status == "EXPIRED" else FILTERED
    if status in ("FAILED", "UNDELIVERED"):
        if provider_code.isdigit():
            return int(provider_code)
        return UNKNOWN_ERROR
    return None
