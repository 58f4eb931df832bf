"""The one API error shape for the exceptions no endpoint raises today but any may tomorrow
(Django's ValidationError, Http404 and PermissionDenied, nested serializer errors): the
handler's safety net, table-driven. The endpoints' own errors are tested through the API."""

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from accounts.api.errors import exception_handler


def _shape(exc):
    response = exception_handler(exc, {})
    return response.status_code, response.data["error"]


@pytest.mark.parametrize(
    ("exc", "status", "error"),
    [
        (
            DjangoValidationError("“null” is not a valid UUID."),
            400,
            {"code": "invalid", "message": "“null” is not a valid UUID.", "fields": {}},
        ),
        (
            DjangoValidationError({"phone": ["Too long.", "Not digits."], "name": ["Blank."]}),
            400,
            {
                "code": "invalid",
                "message": "Too long.; Not digits.; Blank.",
                "fields": {"phone": ["Too long.", "Not digits."], "name": ["Blank."]},
            },
        ),
        (Http404("No Contact matches."), 404, {"code": "not_found", "message": "Not found."}),
        (
            DjangoPermissionDenied(),
            403,
            {"code": "permission_denied", "message": exceptions.PermissionDenied.default_detail},
        ),
        (
            # a nested serializer with many=True: the second item's field, by index
            exceptions.ValidationError({"items": [{}, {"body": ["The message is empty."]}]}),
            400,
            {
                "code": "invalid",
                "message": "Some fields are not valid.",
                "fields": {"items.1.body": ["The message is empty."]},
            },
        ),
        (
            # a bare list of objects, and a detail that is a single string under a key
            exceptions.ValidationError([{"to": "Give `to` or `contact`."}]),
            400,
            {
                "code": "invalid",
                "message": "Some fields are not valid.",
                "fields": {"0.to": ["Give `to` or `contact`."]},
            },
        ),
    ],
)
def test_every_exception_becomes_the_one_error_shape(exc, status, error):
    got_status, got = _shape(exc)
    assert got_status == status
    assert got == {"fields": {}, "detail": {}, **error}
    assert set(got) == {"code", "message", "fields", "detail"}


def test_a_real_bug_is_left_to_surface_as_a_500():
    assert exception_handler(RuntimeError("bug"), {}) is None
