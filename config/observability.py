"""Request ids, structured (JSON) logs, the health and readiness endpoints, and /metrics."""

import contextvars
import hmac
import json
import logging
import socket
import time
import uuid
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from accounts import metrics as metrics_registry

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


class RequestIdMiddleware:
    """Give every request an id (or keep a sane one from the proxy) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        rid = incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else uuid.uuid4().hex
        request.request_id = rid
        token = request_id_var.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = rid
        return response


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id_var.get()
        return True


# Never log these, whatever a caller passes in ``extra``.
REDACT = {"authorization", "api_key", "secret", "password", "token", "signature"}
STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request/message ids, extras."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in STANDARD or key.startswith("_"):
                continue
            data[key] = "[redacted]" if key.lower() in REDACT else value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    from kombu import Connection

    import config.celery_app  # noqa: F401 - registers the safefs:// transport alias

    url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) if "safefs" in url else {}
    with Connection(url, transport_options=options, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _check_carrier() -> str:
    url = getattr(settings, "CARRIER_URL", "")
    if not url or getattr(settings, "MESSAGING_PROVIDER", "simulated") != "simulated":
        return "not used"
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=2):
        return "ok"


def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Readiness: the database, the broker and the carrier answer. Each failure's error
    text (internal hosts, ports, user names) only for the metrics token or verified staff;
    anyone else (a load balancer) reads which check failed."""
    told = _is_verified_staff(request) or (
        bool(settings.METRICS_TOKEN) and _bearer_ok(request, settings.METRICS_TOKEN)
    )
    checks: dict[str, dict[str, str | float]] = {}
    ok = True
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("carrier", _check_carrier),
    ):
        started = time.monotonic()
        try:
            checks[name] = {"status": check()}
        except Exception as exc:  # any failure means "not ready", with its text
            ok = False
            checks[name] = {"status": "error"}
            if told:
                checks[name]["error"] = f"{type(exc).__name__}: {exc}"[:200]
        checks[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(
        {"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503
    )


def _error(status: int, code: str, message: str) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "fields": {}, "detail": {}}}
    return JsonResponse(body, status=status)


def _is_verified_staff(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return False
    # staff prove a second factor (django-otp), as for the admin
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def _bearer_ok(request, token: str) -> bool:
    scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
def metrics(request):
    """Prometheus text for the scraper (``Authorization: Bearer $METRICS_TOKEN``) or for
    staff signed in with their second factor. Not public: without a configured token a
    stranger gets 404 (nothing here), with one a missing or wrong token gets 401."""
    token = settings.METRICS_TOKEN
    if not _is_verified_staff(request):
        if not token:
            return _error(404, "not_found", "Not found.")
        if not _bearer_ok(request, token):
            response = _error(401, "not_authenticated", "A valid metrics token is required.")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    return HttpResponse(metrics_registry.exposition(), content_type=CONTENT_TYPE_LATEST)
