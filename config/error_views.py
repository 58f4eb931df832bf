"""Error pages: the API answers in its one JSON error shape, the portal in HTML."""

import json

from django.http import HttpResponse
from django.views import defaults


def _json(status: int, code: str, message: str) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": {}, "detail": {}}}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return _json(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return _json(500, "server_error", "Something went wrong on our side; it was logged.")
    return defaults.server_error(request)


def bad_request(request, exception=None):
    if _is_api(request):
        return _json(400, "bad_request", "The request could not be understood.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return _json(403, "permission_denied", "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)
