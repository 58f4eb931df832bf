"""Input hygiene at the edge: the one place every query parameter, form field and JSON body
passes before any form, serializer or view sees it.

A NUL character or an unpaired UTF-16 surrogate (``"\\ud800"`` in JSON) can be neither
stored by PostgreSQL nor encoded as UTF-8: left alone they surface as 500s deep in the
ORM. Here they are a 400 naming the field, in the API's one error shape (``/api/``, a
JSON body, or a client that asks for JSON) or as a page that says which field to fix.

A body nested deeper than ``MAX_JSON_DEPTH`` is refused here too, whatever its content
type (some views read any body as JSON): Python's parser raises RecursionError on a few
thousand brackets, and every parser behind this one catches only ValueError.
"""

import contextlib
import json
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

# NUL, or a surrogate code point (only ever unpaired inside a Python str).
_BAD = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "Contains a character we cannot accept (a NUL byte or broken Unicode)."
# Bidi embedding/override/isolate controls (U+202A-U+202E, U+2066-U+2069): in a NAME they
# make "Bob‮moc.knab" show as something else in the inbox and the admin. Refused in name
# fields only (refuse_bidi_controls); message bodies keep them (right-to-left text is real).
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
BIDI_MESSAGE = (
    "Names cannot contain text-direction control characters (U+202A-U+202E, U+2066-U+2069)."
)


def has_bidi_controls(value: object) -> bool:
    return isinstance(value, str) and bool(_BIDI.search(value))


def refuse_bidi_controls(value: object) -> None:
    """A form field validator for person and business names."""
    if has_bidi_controls(value):
        raise ValidationError(BIDI_MESSAGE, code="bidi_control")


# No payload of ours nests more than a few levels; 64 leaves room for any client's own.
MAX_JSON_DEPTH = 64
DEPTH_MESSAGE = f"Nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects."
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def bad_fields(data, prefix: str = "") -> list[str]:
    """Dotted names of every key or string value in ``data`` holding a NUL or a lone
    surrogate (a key's own name is reported for a bad key)."""
    found: list[str] = []
    if isinstance(data, str):
        if _BAD.search(data):
            found.append(prefix or "body")
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(key, str) and _BAD.search(key):
                found.append(_BAD.sub("?", name))
            else:
                found.extend(bad_fields(value, name))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(bad_fields(value, f"{prefix}.{index}" if prefix else str(index)))
    return found


def _querydict_bad(querydict) -> list[str]:
    found = []
    for key, values in querydict.lists():
        if _BAD.search(key):
            found.append(_BAD.sub("?", key))
        elif any(_BAD.search(v) for v in values if isinstance(v, str)):
            found.append(key)
    return found


def json_too_deep(body: bytes) -> bool:
    """Whether ``body``, read as JSON, opens more than ``MAX_JSON_DEPTH`` arrays and
    objects at once (brackets inside strings do not count). Bodies with fewer brackets
    than that in all are answered by two counts in C: the send path pays nothing more."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _is_form(request) -> bool:
    return request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")


def _is_json(request) -> bool:
    return "json" in (request.content_type or "")


def request_bad_fields(request) -> list[str]:
    found = _querydict_bad(request.GET) if request.META.get("QUERY_STRING") else []
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return found
    if _is_json(request):
        body = request.body
        # an escape is the only way a NUL or a surrogate gets into valid JSON
        if b"\\u" in body or b"\\U" in body:
            with contextlib.suppress(ValueError):  # not JSON: the view's parser answers that
                found.extend(bad_fields(json.loads(body)))
    elif request.content_type == "application/x-www-form-urlencoded":
        _ = request.body  # keep the raw body readable (signed webhooks verify it), then parse
        found.extend(_querydict_bad(request.POST))
    elif request.content_type == "multipart/form-data":
        # a small body is kept readable as above; a large upload streams to disk, parsed once
        # here and read by the view from request.POST / request.FILES
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or int(request.META.get("CONTENT_LENGTH") or 0) <= limit:
            _ = request.body
        found.extend(_querydict_bad(request.POST))
    return found


def _wants_json(request) -> bool:
    return (
        request.path.startswith("/api/")
        or _is_json(request)
        or "application/json" in request.headers.get("Accept", "")
    )


class InputHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and not _is_form(request)
            and json_too_deep(request.body)
        ):
            return refusal(request, ["body"], message=DEPTH_MESSAGE)
        fields = request_bad_fields(request)
        if fields:
            return refusal(request, fields)
        return self.get_response(request)


def refusal(request, fields: list[str], *, message: str = MESSAGE) -> HttpResponse:
    if _wants_json(request):
        body = {
            "error": {
                "code": "invalid",
                "message": "Some fields are not valid.",
                "fields": {name: [message] for name in fields},
                "detail": {},
            }
        }
        return JsonResponse(body, status=400)
    html = render_to_string(
        "accounts/input_refused.html", {"fields": fields, "message": message}, request=request
    )
    return HttpResponse(html, status=400)
