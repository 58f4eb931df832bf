"""The Twilio-compatible API: ``/2010-04-01/Accounts/{AccountSid}/Messages.json`` and
``Messages/{Sid}.json``. Thin: parse Twilio's form fields, call one service or selector,
answer with Twilio's JSON; every error in Twilio's shape ``{code, message, more_info,
status}`` (``exception_handler``)."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.base import TenantMixin
from accounts.errors import ApplicationError, NotFound, PermissionDenied, RateLimited
from accounts.roles import Cap
from accounts.services import twilio_account_sid

from . import formats, selectors, services
from .auth import REALM, TwilioBasicAuthentication
from .errors import TwilioError
from .resources import message_resource, message_uri

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50


def _error(status_code: int, code: int, message: str, headers=None) -> Response:
    body = {
        "code": code,
        "message": message,
        "more_info": formats.MORE_INFO.format(code=code),
        "status": status_code,
    }
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    """Every error of these views in Twilio's shape (the twilio libraries read ``code`` and
    ``message`` from it into TwilioRestException)."""
    if isinstance(exc, TwilioError):
        return _error(exc.status_code, exc.twilio_code, exc.message)
    if isinstance(exc, NotFound | Http404 | exceptions.NotFound):
        path = context["request"].path if context.get("request") else "resource"
        return _error(404, formats.NOT_FOUND, f"The requested resource {path} was not found")
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        detail = exc.detail if isinstance(exc, exceptions.AuthenticationFailed) else None
        message = str(detail) if detail else "Authenticate"
        return _error(401, formats.AUTH, message, headers={"WWW-Authenticate": REALM})
    if isinstance(exc, exceptions.PermissionDenied | PermissionDenied):
        return _error(
            403, formats.AUTH, "Authenticate: this API key's role does not allow this request."
        )
    if isinstance(exc, exceptions.Throttled | RateLimited):
        wait = getattr(exc, "wait", None)
        headers = {"Retry-After": str(int(wait))} if wait else None
        return _error(429, formats.TOO_MANY, "Too Many Requests", headers=headers)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _error(405, 20004, f"Method not allowed: {context['request'].method}")
    if isinstance(exc, ApplicationError):
        return _error(exc.status_code, formats.INVALID_PARAMETER, exc.message)
    if isinstance(exc, exceptions.APIException):
        return _error(exc.status_code, formats.INVALID_PARAMETER, str(exc.detail))
    return None  # a real bug: a 500, logged


class TwilioView(TenantMixin, APIView):
    authentication_classes = [TwilioBasicAuthentication]
    parser_classes = [FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.account_sid = twilio_account_sid(self.business)
        # Another account's SID in the path is not found, like any object of another
        # business (never "forbidden", which would confirm it exists).
        if kwargs.get("account_sid") != self.account_sid:
            raise TwilioError(
                formats.NOT_FOUND,
                f"The requested resource {request.path} was not found",
                status=404,
            )


def _parsed(parse, value: str):
    """``parse(value)``, or None: Django's parsers raise ValueError for a value in the right
    shape that names no such day or time (2026-02-30, 25:00) and return None for the rest."""
    try:
        return parse(value)
    except ValueError:
        return None


def _date_param(value: str, name: str):
    if not value:
        return None
    parsed = _parsed(parse_datetime, value) if "T" in value or " " in value else None
    if parsed is not None:
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
    day = _parsed(parse_date, value.lstrip("<>=")) if value else None
    if day is None:
        raise TwilioError(formats.INVALID_PARAMETER, f"{name} must be YYYY-MM-DD (GMT).")
    return day


def _int_param(value: str, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise TwilioError(formats.INVALID_PARAMETER, f"{name} must be from {low} to {high}.")
    return number


@extend_schema(exclude=True)  # Twilio's own OpenAPI document describes this API
class MessagesApi(TwilioView):
    """GET: list (view); POST: create (send)."""

    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    def get(self, request, account_sid):
        q = request.query_params
        size = _int_param(q.get("PageSize"), "PageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        page = _int_param(q.get("Page"), "Page", 0, 0, 10**6)
        token = q.get("PageToken", "")
        after = None
        if token:
            after = formats.uuid_from_sid(token.removeprefix(formats.PAGE_TOKEN_PREFIX))
            if after is None:
                raise TwilioError(formats.INVALID_PARAMETER, "PageToken is not valid.")
        filters = {
            "To": q.get("To", ""),
            "From": q.get("From", ""),
            "DateSent": q.get("DateSent", ""),
            "DateSent<": q.get("DateSent<", ""),
            "DateSent>": q.get("DateSent>", ""),
        }
        sent_on = _date_param(filters["DateSent"], "DateSent")
        if isinstance(sent_on, datetime):
            sent_on = sent_on.date()
        rows, more = selectors.message_page(
            business=self.business,
            to=filters["To"],
            from_=filters["From"],
            sent_on=sent_on,
            sent_before=_date_param(filters["DateSent<"], "DateSent<"),
            sent_after=_date_param(filters["DateSent>"], "DateSent>"),
            after_uuid=after,
            offset=page * size if after is None else 0,
            size=size,
        )
        base = f"/{formats.API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        kept = {k: v for k, v in filters.items() if v}

        def uri(**extra) -> str:
            return f"{base}?{urlencode({**kept, 'PageSize': size, **extra})}"

        this = {"Page": page, **({"PageToken": token} if token else {})}
        next_uri = None
        if more and rows:
            last = formats.message_sid(rows[-1].uuid)
            next_uri = uri(Page=page + 1, PageToken=f"{formats.PAGE_TOKEN_PREFIX}{last}")
        return Response(
            {
                "messages": [message_resource(m, self.account_sid) for m in rows],
                "end": page * size + max(len(rows) - 1, 0),
                "first_page_uri": uri(Page=0),
                "next_page_uri": next_uri,
                "page": page,
                "page_size": size,
                "previous_page_uri": uri(Page=page - 1) if page > 0 and not token else None,
                "start": page * size,
                "uri": uri(**this),
            }
        )

    def post(self, request, account_sid):
        data = request.data
        send_at = None
        if data.get("SendAt"):
            send_at = _parsed(parse_datetime, data["SendAt"])
            if send_at is None:
                raise TwilioError(formats.SCHEDULE_TIME, "SendAt must be an ISO 8601 time.")
            if timezone.is_naive(send_at):
                send_at = timezone.make_aware(send_at, UTC)
        params = services.CreateParams(
            to=data.get("To", "").strip(),
            from_=data.get("From", "").strip(),
            messaging_service_sid=data.get("MessagingServiceSid", "").strip(),
            body=data.get("Body", ""),
            media_urls=[u for u in data.getlist("MediaUrl") if u],
            status_callback=data.get("StatusCallback", "").strip(),
            validity_period=data.get("ValidityPeriod", "").strip(),
            send_at=send_at,
            schedule_type=data.get("ScheduleType", "").strip(),
            content_sid=data.get("ContentSid", "").strip(),
            content_variables=data.get("ContentVariables"),
        )
        message = services.twilio_message_create(business=self.business, params=params)
        message = selectors.message_for_sid(
            business=self.business, sid=formats.message_sid(message.uuid)
        )
        return Response(message_resource(message, self.account_sid), status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
class MessageApi(TwilioView):
    """GET: fetch (view); POST: cancel or redact (send); DELETE: delete (send)."""

    required_cap = Cap.VIEW
    write_cap = Cap.SEND

    def _message(self, sid):
        return selectors.message_for_sid(
            business=self.business, sid=sid, path=message_uri(self.account_sid, sid)
        )

    def get(self, request, account_sid, sid):
        return Response(message_resource(self._message(sid), self.account_sid))

    def post(self, request, account_sid, sid):
        message = self._message(sid)
        data = request.data
        services.twilio_message_update(
            business=self.business,
            message=message,
            status=data.get("Status"),
            body=data.get("Body"),
        )
        return Response(message_resource(self._message(sid), self.account_sid))

    def delete(self, request, account_sid, sid):
        services.twilio_message_delete(business=self.business, message=self._message(sid))
        return Response(status=status.HTTP_204_NO_CONTENT)
