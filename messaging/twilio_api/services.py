"""Writes of the Twilio-compatible API: create / cancel / redact / delete a message (every
send through ``messaging.services.message_enqueue``, so through every gate), and the
callbacks Twilio would send (status callbacks, inbound forwards), signed with the
business's auth token, delivered with the tenant webhooks' URL rules and back-off; a TwiML
``<Message>`` answer to an inbound forward is sent as a reply through the gates."""

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from twilio.request_validator import RequestValidator

from accounts.events import retrying
from accounts.models import Business, TwilioAccount
from accounts.services import twilio_account_sid
from consent.phones import InvalidPhone, normalize
from consent.selectors import contact_for_phone
from messaging import services as messaging_services
from messaging import tenant_webhooks
from messaging.errors import MessageStateConflict, ValidationFailed
from messaging.media import services as media_services
from messaging.models import Message
from messaging.templating import merge
from messaging.templating.models import MessageTemplate
from messaging.templating.selectors import render_one

from . import formats, selectors
from .errors import TwilioError
from .models import TwilioCallback, TwilioMessage

log = logging.getLogger(__name__)

# Twilio has no message kind. A text sent through this API is what such scripts send —
# confirmations, codes, alerts — so it is judged as transactional, and as marketing (with
# marketing consent and quiet hours) whenever its content reads as marketing: the kind gate
# reclassifies it, exactly as for our own API's "transactional" (messaging/README.md).
DEFAULT_KIND = "transactional"
MAX_VALIDITY = 36000  # seconds, Twilio's upper bound
SCHEDULE_MIN = timedelta(minutes=15)  # Twilio's window for SendAt
SCHEDULE_MAX = timedelta(days=35)
TWIML_MAX_BYTES = 64 * 1024


@dataclass
class CreateParams:
    to: str = ""
    from_: str = ""
    messaging_service_sid: str = ""
    body: str = ""
    media_urls: list[str] = field(default_factory=list)
    status_callback: str = ""
    validity_period: str = ""
    send_at: datetime | None = None
    schedule_type: str = ""
    content_sid: str = ""
    content_variables: str | None = None  # None: not given


def _check_callback_url(url: str, *, code: int, name: str) -> None:
    problem = tenant_webhooks.webhook_url_check(url)
    if problem:
        raise TwilioError(code, f"The {name} URL {url} is not valid: {problem}")


def _validate(*, business: Business, params: CreateParams, now: datetime):
    if not params.to:
        raise TwilioError(formats.TO_REQUIRED, "A 'To' phone number is required.")
    try:
        to = normalize(params.to)
    except InvalidPhone as exc:
        raise TwilioError(
            formats.INVALID_TO, f"The 'To' number {params.to} is not a valid phone number: {exc}"
        ) from None
    if len(params.media_urls) > settings.MEDIA_MAX_COUNT:
        raise TwilioError(
            formats.TOO_MANY_MEDIA,
            f"Number of media files exceeds allowed limit of {settings.MEDIA_MAX_COUNT}.",
        )
    if params.content_variables is not None and not params.content_sid:
        raise TwilioError(
            formats.CONTENT_SID_REQUIRED,
            "A ContentSid must be specified if ContentVariables are provided.",
        )
    if params.content_sid and params.body:
        raise TwilioError(formats.INVALID_PARAMETER, "Give either Body or ContentSid, not both.")
    if (
        not params.content_sid
        and not params.media_urls
        and (not params.body or not params.body.strip())
    ):
        raise TwilioError(formats.BODY_REQUIRED, "Message body is required.")
    if len(params.body) > messaging_services.MAX_BODY:
        raise TwilioError(
            formats.BODY_TOO_LONG,
            f"The concatenated message body exceeds the {messaging_services.MAX_BODY} "
            "character limit.",
        )
    number = None
    service_sid = ""
    if params.messaging_service_sid:
        campaign = selectors.campaign_for_service_sid(
            business=business, sid=params.messaging_service_sid
        )
        if campaign is None:
            raise TwilioError(
                formats.SERVICE_INVALID,
                f"The Messaging Service {params.messaging_service_sid} does not exist: use "
                "MG followed by the 32 hex digits of one of your campaigns' ids.",
            )
        service_sid = params.messaging_service_sid
        if not params.from_:
            number = selectors.campaign_number(business=business, campaign=campaign)
            if number is None:
                raise TwilioError(
                    formats.FROM_NOT_USABLE,
                    "This Messaging Service (campaign) has no active number to send from.",
                )
    if params.from_:
        try:
            e164 = normalize(params.from_)
        except InvalidPhone:
            e164 = ""
        number = selectors.number_for_e164(business=business, e164=e164) if e164 else None
        if number is None:
            raise TwilioError(
                formats.FROM_NOT_OURS,
                f"The 'From' number {params.from_} is not one of this account's numbers.",
            )
    if number is None:
        raise TwilioError(
            formats.FROM_REQUIRED, "A 'From' phone number or a MessagingServiceSid is required."
        )
    if params.status_callback:
        _check_callback_url(params.status_callback, code=21609, name="StatusCallback")
    validity = None
    if params.validity_period:
        try:
            validity = int(params.validity_period)
        except ValueError:
            validity = 0
        if not 1 <= validity <= MAX_VALIDITY:
            raise TwilioError(
                formats.INVALID_PARAMETER,
                f"ValidityPeriod must be a whole number of seconds from 1 to {MAX_VALIDITY}.",
            )
    send_at = None
    if params.schedule_type or params.send_at is not None:
        if params.schedule_type != "fixed":
            raise TwilioError(
                formats.SCHEDULE_TYPE, "ScheduleType must be 'fixed' to schedule a message."
            )
        if params.send_at is None:
            raise TwilioError(formats.SCHEDULE_TIME, "SendAt is required with ScheduleType.")
        send_at = params.send_at
        if not now + SCHEDULE_MIN <= send_at <= now + SCHEDULE_MAX:
            raise TwilioError(
                formats.SCHEDULE_TIME,
                "SendAt must be between 15 minutes and 35 days from now.",
            )
    return to, number, service_sid, validity, send_at


def _media(*, business: Business, urls: list[str]) -> list:
    """Each MediaUrl fetched once, SSRF-safe, checked by content and stored as our own copy
    (messaging.media); any refusal is 21620 with the reason."""
    media = []
    try:
        for url in urls:
            media.append(media_services.media_from_url(business=business, url=url))
        media_services.media_check_set(media=media)
    except ValidationFailed as exc:
        reasons = [m for messages in exc.fields.values() for m in messages] or [exc.message]
        raise TwilioError(
            formats.INVALID_MEDIA, f"Invalid media URL(s): {' '.join(reasons)}"
        ) from None
    return media


CONTENT_SID_RE = re.compile(r"^HX([0-9a-fA-F]{32})$")
MAX_VARIABLES = 50


def _content_variables(raw: str | None) -> dict[str, str | int | float]:
    """Twilio's ``ContentVariables``: a JSON object of short scalar values whose keys name
    the template's ``var.<name>`` fields ("1" fills ``{{ var.1 }}``); anything else is 21656."""
    if raw is None:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        data = None
    if not isinstance(data, dict) or len(data) > MAX_VARIABLES:
        raise TwilioError(
            formats.CONTENT_VARIABLES,
            "The ContentVariables Parameter is invalid: it must be a JSON object (at most "
            f'{MAX_VARIABLES} values), such as {{"1": "Ana"}} or {{"first_name": "Ana"}}.',
        )
    for key, value in data.items():
        if not merge.VAR_KEY_RE.fullmatch(key):
            raise TwilioError(
                formats.CONTENT_VARIABLES,
                f"The ContentVariables Parameter is invalid: {key[:40]!r} is not a variable "
                "name (1 to 99, or lower-case letters, digits and _).",
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TwilioError(
                formats.CONTENT_VARIABLES,
                f"The ContentVariables Parameter is invalid: {key!r} must be text or a number.",
            )
    return data


def _template(*, business: Business, content_sid: str) -> MessageTemplate:
    match = CONTENT_SID_RE.match(content_sid)
    template = None
    if match:
        template = MessageTemplate.objects.filter(
            business=business, uuid=uuid.UUID(match.group(1))
        ).first()
    if template is None:  # malformed, deleted or another business's: the same answer
        raise TwilioError(
            formats.CONTENT_SID_INVALID,
            f"The ContentSid {content_sid[:40]} is invalid: use HX followed by the 32 hex "
            "digits of one of your templates' ids (shown on its page in the portal).",
            status=404,
        )
    return template


def _rendered(*, business: Business, params: CreateParams, to: str) -> tuple[str, str]:
    """The template rendered for the recipient (their contact's fields) and the variables,
    and its kind: this text, not the template, is what every gate judges."""
    template = _template(business=business, content_sid=params.content_sid)
    variables = _content_variables(params.content_variables)
    contact = contact_for_phone(business=business, phone=to)
    body = render_one(business=business, body=template.body, contact=contact, variables=variables)
    if not body.strip():
        raise TwilioError(formats.BODY_REQUIRED, "The template renders as an empty message.")
    if len(body) > messaging_services.MAX_BODY:
        raise TwilioError(
            formats.BODY_TOO_LONG,
            f"The rendered message exceeds the {messaging_services.MAX_BODY} character limit.",
        )
    return body, template.kind


def twilio_message_create(*, business: Business, params: CreateParams) -> Message:
    """Create a message as Twilio's API would, through every gate. A message our gates
    refuse is stored (BLOCKED, with its reasons) and answered with Twilio's nearest error
    code and our reason; a held one is "accepted"."""
    now = timezone.now()
    to, number, service_sid, validity, send_at = _validate(
        business=business, params=params, now=now
    )
    expires_at = None
    if validity is not None:
        expires_at = (send_at or now) + timedelta(seconds=validity)
    body, kind = params.body, DEFAULT_KIND
    if params.content_sid:
        body, kind = _rendered(business=business, params=params, to=to)
    media = _media(business=business, urls=params.media_urls) if params.media_urls else []
    with transaction.atomic():
        message = messaging_services.message_enqueue(
            business=business,
            media=media,
            body=body,
            kind=kind,
            to_phone=to,
            from_number=number,
            channel="api",  # automated, like every API send
            send_at=send_at,
            expires_at=expires_at,
        )
        TwilioMessage.objects.create(
            business=business,
            message=message,
            status_callback=params.status_callback,
            messaging_service_sid=service_sid,
        )
    if message.status == Message.Status.BLOCKED:
        found = formats.failure(message.reasons) or (formats.FILTERED, "Refused by our checks.")
        code, reason = found
        raise TwilioError(
            code,
            f"{reason} (message {formats.message_sid(message.uuid)} was not sent)",
            detail={"sid": formats.message_sid(message.uuid)},
        )
    return message


def twilio_message_update(
    *, business: Business, message: Message, status: str | None, body: str | None
) -> Message:
    """Twilio's update: ``Status=canceled`` cancels a scheduled message; ``Body=""``
    redacts a message that is done with."""
    if status is not None:
        if status != "canceled":
            raise TwilioError(formats.INVALID_PARAMETER, "Status can only be set to 'canceled'.")
        try:
            message = messaging_services.message_cancel(business=business, message=message)
        except MessageStateConflict as exc:
            raise TwilioError(formats.CANNOT_CANCEL, exc.message) from None
        # the cancel's "message.status" event brings its callback (twilio_callbacks_for_events)
    if body is not None:
        if body != "":
            raise TwilioError(
                formats.INVALID_PARAMETER, "Body can only be set to an empty string (redact)."
            )
        try:
            message = messaging_services.message_redact(business=business, message=message)
        except MessageStateConflict as exc:
            raise TwilioError(formats.NOT_COMPLETE, exc.message) from None
    if status is None and body is None:
        raise TwilioError(formats.INVALID_PARAMETER, 'Give Status=canceled or Body="".')
    return message


def twilio_message_delete(*, business: Business, message: Message) -> None:
    try:
        messaging_services.message_delete(business=business, message=message)
    except MessageStateConflict as exc:
        raise TwilioError(formats.NOT_COMPLETE, exc.message, status=409) from None


# --- callbacks --------------------------------------------------------------------------------


def _queue(callback_ids: list[int]) -> None:
    from .tasks import twilio_callback_deliver_task  # not at the top: the task calls this module

    if not callback_ids:
        return

    def send():
        for pk in callback_ids:
            twilio_callback_deliver_task.apply_async((pk,))

    transaction.on_commit(send)


def twilio_callbacks_for_events(events: list[tuple[int, str, dict]]) -> None:
    """The tenant webhooks' listener: a status callback for each status event of a message
    created with a StatusCallback, an inbound forward for each inbound text of a business
    with an inbound URL. Two queries at most per batch, one INSERT."""
    # every event type comes through here (accounts.events): only the two about a message
    # of ours, with its uuid, matter
    statuses: dict[str, list[str]] = {}  # a batch may move one message twice (sent, delivered)
    for _, event, payload in events:
        if event == "message.status" and _is_uuid(payload.get("message")) and "status" in payload:
            statuses.setdefault(str(payload["message"]), []).append(payload["status"])
    inbound = {
        p["message"]: b
        for b, e, p in events
        if e == "message.inbound" and _is_uuid(p.get("message"))
    }
    now = timezone.now()
    rows: list[TwilioCallback] = []
    if statuses:
        for option in (
            TwilioMessage.objects.filter(message__uuid__in=list(statuses))
            .exclude(status_callback="")
            .values("business_id", "message_id", "message__uuid", "status_callback")
        ):
            rows.extend(
                TwilioCallback(
                    business_id=option["business_id"],
                    message_id=option["message_id"],
                    kind=TwilioCallback.Kind.STATUS,
                    url=option["status_callback"],
                    message_status=status,
                    created_at=now,
                    next_attempt_at=now,
                )
                for status in statuses[str(option["message__uuid"])]
            )
    if inbound:
        urls = dict(
            TwilioAccount.objects.filter(business_id__in=set(inbound.values()))
            .exclude(inbound_url="")
            .values_list("business_id", "inbound_url")
        )
        if urls:
            ids = dict(
                Message.objects.filter(
                    business_id__in=list(urls), uuid__in=list(inbound)
                ).values_list("uuid", "pk")
            )
            for message_uuid, business_id in inbound.items():
                pk = ids.get(_as_uuid(message_uuid))
                if business_id in urls and pk is not None:
                    rows.append(
                        TwilioCallback(
                            business_id=business_id,
                            message_id=pk,
                            kind=TwilioCallback.Kind.INBOUND,
                            url=urls[business_id],
                            message_status=Message.Status.RECEIVED,
                            created_at=now,
                            next_attempt_at=now,
                        )
                    )
    if rows:
        _queue([c.pk for c in TwilioCallback.objects.bulk_create(rows)])


def _as_uuid(value) -> uuid.UUID:
    return uuid.UUID(str(value))


def _is_uuid(value) -> bool:
    try:
        _as_uuid(value)
    except ValueError:
        return False
    return True


def callback_params(callback: TwilioCallback, message: Message) -> dict[str, str]:
    """The form fields Twilio posts, built from the message as it is now (so an erased or
    redacted message sends nothing it no longer has)."""
    account_sid = twilio_account_sid(message.business)
    sid = formats.message_sid(message.uuid)
    number = message.from_number.e164 if message.from_number is not None else ""
    common = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
    }
    service = getattr(getattr(message, "twilio", None), "messaging_service_sid", "")
    if service:
        common["MessagingServiceSid"] = service
    if callback.kind == TwilioCallback.Kind.INBOUND:
        return {
            **common,
            "SmsMessageSid": sid,
            "From": message.to_phone,  # the other party (Message's docstring)
            "To": number,
            "Body": message.body,
            "NumMedia": str(message.media_count),
            "NumSegments": str(message.segments),
            "SmsStatus": "received",
        }
    status = formats.STATUS.get(callback.message_status, callback.message_status.lower())
    params = {**common, "From": number, "To": message.to_phone}
    params["MessageStatus"] = status
    params["SmsStatus"] = status
    code = formats.error_code(
        status=callback.message_status, reasons=message.reasons, provider_code=message.error_code
    )
    if code is not None:
        params["ErrorCode"] = str(code)
    return params


def twilio_signature(*, auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature, computed by the twilio package's own validator."""
    return RequestValidator(auth_token).compute_signature(url, params)


def _twiml_reply(text: str) -> str:
    """The text of the first ``<Message>`` of a TwiML ``<Response>``, or ""."""
    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, DefusedXmlException, ValueError):
        return ""
    if root.tag != "Response":
        return ""
    for child in root:
        if child.tag == "Message":
            body = child.find("Body")
            value = body.text if body is not None else child.text
            return (value or "").strip()
    return ""


def _callback_request(callback: TwilioCallback) -> retrying.Request | retrying.Refusal:
    """The POST of one attempt, signed as Twilio signs (X-Twilio-Signature with the
    business's auth token), or why it is not sent."""
    account = TwilioAccount.objects.filter(business_id=callback.business_id).first()
    if account is None:
        return retrying.Refusal(
            "No auth token to sign with: create one on the API keys page.", final=True
        )
    problem = tenant_webhooks.webhook_url_check(callback.url)
    if problem:
        return retrying.Refusal(problem)
    params = callback_params(callback, callback.message)
    headers = {
        "User-Agent": "ContactYourClient-TwilioCompat/1",
        "X-Twilio-Signature": twilio_signature(
            auth_token=account.auth_token, url=callback.url, params=params
        ),
    }
    return retrying.Request(callback.url, headers, params)


def _callback_reply(callback: TwilioCallback, answer: retrying.Answer) -> list[str]:
    """An inbound forward answered with TwiML ``<Message>``: that text goes out as a reply,
    through the gates."""
    text = ""
    if not answer.error and callback.kind == TwilioCallback.Kind.INBOUND:
        text = answer.content[:TWIML_MAX_BYTES].decode("utf-8", "replace")
    reply_text = _twiml_reply(text) if text.strip() else ""
    if reply_text:
        message = callback.message
        callback.reply = messaging_services.message_enqueue(
            business=message.business,
            body=reply_text[: messaging_services.MAX_BODY],
            kind="conversational",
            contact=message.contact,
            reply_to=message,
            channel="api",  # software answered: automated, through every gate
            idempotency_key=f"twiml:{callback.uuid}",
        )
    return ["reply"]


def twilio_callback_deliver(*, callback_id: int) -> TwilioCallback | None:
    """One attempt at a callback; schedules the next when it fails (the retrying mechanism
    of the event webhooks, ``accounts.events.retrying``, with Twilio's signature)."""
    from .tasks import twilio_callback_deliver_task  # not at the top: the task calls this

    return retrying.attempt(
        rows=TwilioCallback.objects.select_related(
            "message", "message__business", "message__from_number"
        ),
        pk=callback_id,
        task=twilio_callback_deliver_task,
        prepare=_callback_request,
        after=_callback_reply,
    )


def twilio_callbacks_retry_due(*, limit: int = 500) -> int:
    """Re-queue callbacks whose attempt is overdue (their task was lost); for beat."""
    from .tasks import twilio_callback_deliver_task  # not at the top: the task calls this

    return retrying.retry_due(
        rows=TwilioCallback.objects.all(), task=twilio_callback_deliver_task, limit=limit
    )
