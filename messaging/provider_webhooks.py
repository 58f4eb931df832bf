"""Provider webhooks (inbound to us, from the carrier or Twilio): delivery receipts and
inbound texts, signed, on the leanest path. Webhooks we send out to tenants are
messaging.tenant_webhooks.

Status callbacks arrive once per message (833/s at full load), so the carrier batches them
(``{"receipts": [...]}``, up to 1,000 a request) and the view verifies the signature once,
stores every raw receipt with one INSERT and answers; a task applies receipts to messages
in batches (messaging/receipts.py). Inbound texts are rarer and go through
services.inbound_receive.
"""

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.errors import ValidationFailed

from . import receipts, services
from .providers import signing

log = logging.getLogger(__name__)


def _schedule_apply() -> None:
    receipts.receipts_schedule_apply()


def _carrier_verified(request: HttpRequest) -> bool:
    return signing.verify(
        signing.carrier_secret(),
        timestamp=request.headers.get("X-Carrier-Timestamp", ""),
        signature=request.headers.get("X-Carrier-Signature", ""),
        body=request.body,
    )


def _forbidden() -> JsonResponse:
    return JsonResponse(
        {
            "error": {
                "code": "bad_signature",
                "message": "Signature missing or invalid.",
                "fields": {},
                "detail": {},
            }
        },
        status=403,
    )


def _bad(message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "invalid", "message": message, "fields": {}, "detail": {}}}, status=400
    )


def _error(status: int, code: str, message: str, *, fields=None, detail=None) -> JsonResponse:
    """The API's one error shape (accounts.api.errors), for these plain Django views."""
    body = {"code": code, "message": message, "fields": fields or {}, "detail": detail or {}}
    return JsonResponse({"error": body}, status=status)


def _replayed(request: HttpRequest) -> bool:
    """A signature seen inside the replay window is a replay (the carrier signs every
    attempt afresh, so its own retries never repeat one). Shared through the cache, so it
    needs the Redis cache when there are several web processes."""
    signature = request.headers.get("X-Carrier-Signature", "")
    return not cache.add(f"messaging:carrier-sig:{signature}", 1, timeout=signing.TOLERANCE)


@csrf_exempt
@require_POST
def carrier_status(request: HttpRequest) -> HttpResponse:
    """One receipt or a batch ``{"receipts": [...]}``: verify once, validate every item
    (any malformed one refuses the whole request, nothing stored), one INSERT, 204."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > receipts.MAX_BODY:
        return _error(
            413,
            "too_large",
            f"At most {receipts.MAX_BODY} bytes ({receipts.MAX_RECEIPTS} receipts) a request.",
        )
    if not _carrier_verified(request):
        return _forbidden()
    if _replayed(request):
        return _error(403, "replayed", "This signed request was already received.")
    try:
        items = receipts.receipts_parse(json.loads(request.body))
    except ValueError:
        return _bad("A JSON body with id, message_id and status is required.")
    except ValidationFailed as exc:
        return _error(400, exc.code, exc.message, fields=exc.fields, detail=exc.detail)
    receipts.receipts_store(provider="simulated", receipts=items)
    _schedule_apply()
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def carrier_inbound(request: HttpRequest) -> HttpResponse:
    if not _carrier_verified(request):
        return _forbidden()
    try:
        data = json.loads(request.body)
        to, sender, body = str(data["to"]), str(data["from"]), str(data.get("body", ""))
        media = [str(m["url"]) for m in data.get("media") or []]
    except (ValueError, KeyError, TypeError):
        return _bad("A JSON body with from, to and body (or media) is required.")
    services.inbound_receive(
        to_number=to,
        from_phone=sender,
        body=body,
        provider="simulated",
        provider_id=str(data.get("id", "")),
        media_urls=media,
    )
    return HttpResponse(status=204)


def _twilio_verified(request: HttpRequest) -> bool:
    from twilio.request_validator import RequestValidator

    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return False
    # The URL Twilio called: our public base + path (a proxy may change the host we see).
    url = f"{settings.MESSAGING_WEBHOOK_BASE_URL}{request.get_full_path()}"
    return RequestValidator(token).validate(
        url, request.POST.dict(), request.headers.get("X-Twilio-Signature", "")
    )


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_verified(request):
        return _forbidden()
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    if not sid or not status:
        return _bad("MessageSid and MessageStatus are required.")
    services.status_callback_store(
        provider="twilio",
        status=status,
        provider_id=sid,
        error_code=request.POST.get("ErrorCode", ""),
    )
    _schedule_apply()
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _twilio_verified(request):
        return _forbidden()
    to, sender = request.POST.get("To", ""), request.POST.get("From", "")
    if not to or not sender:
        return _bad("To and From are required.")
    try:
        count = int(request.POST.get("NumMedia") or 0)
    except ValueError:
        return _bad("NumMedia must be a number.")
    media = [request.POST.get(f"MediaUrl{i}", "") for i in range(max(0, min(count, 10)))]
    services.inbound_receive(
        to_number=to,
        from_phone=sender,
        body=request.POST.get("Body", ""),
        provider="twilio",
        provider_id=request.POST.get("MessageSid", ""),
        media_urls=[u for u in media if u],
        # Twilio's media URLs may ask for the account's credentials (HTTP basic); the
        # fetch drops them on a redirect to another host.
        media_auth=(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN),
    )
    # Empty TwiML: our own keyword handling answers through the queue.
    return HttpResponse("<Response></Response>", content_type="text/xml")
