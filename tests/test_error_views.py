"""The error handlers (handler400/403/404/500): the API's one JSON error shape, HTML elsewhere."""

import json

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import RequestFactory

from config import error_views

pytestmark = pytest.mark.django_db

CASES = [
    (error_views.bad_request, SuspiciousOperation(), 400, "bad_request"),
    (error_views.permission_denied, PermissionDenied(), 403, "permission_denied"),
    (error_views.not_found, None, 404, "not_found"),
    (error_views.server_error, None, 500, "server_error"),
]


def _call(handler, exception, path):
    request = RequestFactory().get(path)
    return handler(request) if handler is error_views.server_error else handler(request, exception)


@pytest.mark.parametrize(("handler", "exception", "status", "code"), CASES)
def test_api_errors_answer_in_the_one_error_shape(handler, exception, status, code):
    response = _call(handler, exception, "/api/v1/contacts/")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)["error"]
    assert set(body) == {"code", "message", "fields", "detail"}
    assert body["code"] == code and body["message"]


@pytest.mark.parametrize(("handler", "exception", "status", "code"), CASES)
def test_portal_errors_are_html_pages(handler, exception, status, code):
    response = _call(handler, exception, "/app/contacts/")
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert b'"error"' not in response.content
