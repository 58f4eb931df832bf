"""One error shape for every API error: ``{"error": {code, message, fields, detail}}``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import ApplicationError


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable error code.")
    message = serializers.CharField(help_text="A sentence a person can act on.")
    # DRF's metaclass takes declared fields off the class: this does not shadow .fields
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Per-field messages, for validation errors.",
    )
    detail = serializers.DictField(help_text="Extra machine-readable detail.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def error_response(
    *, status: int, code: str, message: str, fields=None, detail=None, headers=None
) -> Response:
    body = {
        "error": {"code": code, "message": message, "fields": fields or {}, "detail": detail or {}}
    }
    return Response(body, status=status, headers=headers)


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(data, list):
        if all(not isinstance(v, dict | list) for v in data):
            out[prefix or "non_field_errors"] = [str(v) for v in data]
        else:
            for index, value in enumerate(data):
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(data)]
    return out


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return error_response(
            status=exc.status_code,
            code=exc.code,
            message=exc.message,
            fields=exc.fields,
            detail=exc.detail,
        )
    if isinstance(exc, DjangoValidationError):
        # A malformed value reached the ORM (e.g. "null" for a uuid filter): the caller's
        # mistake, never a 500.
        fields = {k: [str(m) for m in v] for k, v in getattr(exc, "message_dict", {}).items()}
        return error_response(
            status=400, code="invalid", message="; ".join(exc.messages), fields=fields
        )
    if isinstance(exc, Http404):
        return error_response(status=404, code="not_found", message="Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let it surface as a 500 and be logged
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None)
        message = general[0] if general else "Some fields are not valid."
        return error_response(status=400, code="invalid", message=message, fields=fields)
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    code = codes if isinstance(codes, str) else "error"
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    detail = {}
    if isinstance(exc, exceptions.Throttled):
        wait = exc.wait  # type: ignore[attr-defined]  # Throttled.__init__ sets it; stubs miss it
        if wait is not None:
            detail["retry_after_seconds"] = int(wait)
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Retry-After")}
    return error_response(
        status=response.status_code, code=code, message=str(message), detail=detail, headers=headers
    )
