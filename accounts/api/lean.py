"""A lean path for a hot API endpoint: its DRF view's contract without DRF's request cycle.

``lean_post(view_cls, accept=..., handle=...)`` gives a Django view for a URL of ``view_cls``.
A POST that ``accept`` recognises as the endpoint's plain case (a JSON object of the simple
kind, a well-formed Bearer key of a role that may write) is served here; every other request
(another method, no key or a bad one, a key whose role may not, a body or header ``accept``
does not take) goes to the DRF view untouched, so every refusal keeps DRF's wording and the
view's own. Nothing is counted or written before that choice.

What the lean path does for the requests it serves is what DRF does, by the same code:
``api_key_authenticate`` (hashed keys, a revoked key refused at once), ``role_can`` with the
view's ``write_cap`` (``HasBusinessRole``), the view's throttles (``allow_api_key``, the
same counter; counted once), the API's exception handler (the one error shape), the same
JSON renderer and the ``Allow`` header DRF adds. What it leaves out: DRF's ``Request``
wrapper, content negotiation and parsers (the body is read here only when it is plain
UTF-8 JSON and the client accepts JSON), the view instance and its per-request permission
and throttle objects. Its requests run through the middleware an API-key request needs
(``accounts.api.chain``: request id, security headers, input hygiene), not the portal's.
"""

import json
from collections.abc import Callable
from typing import Any

from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.roles import role_can
from accounts.services import api_key_authenticate

from .auth import ApiKeyPrincipal

JSON = "application/json"
# what DRF's negotiation answers with the JSON renderer for, with no media type parameters
PLAIN_ACCEPT = frozenset({"", "*/*", JSON})
_RENDERER = JSONRenderer()


def _refuse_constant(name: str):
    raise ValueError(name)  # NaN, Infinity: DRF's strict JSON refuses them too


def json_object(request) -> dict | None:
    """The body as a JSON object when it is one in plain UTF-8 JSON (what DRF's parser
    would read the same way), else None."""
    if request.content_type != JSON or set(request.content_params) - {"charset"}:
        return None
    if request.content_params.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        return None
    try:
        data = json.loads(request.body.decode("utf-8"), parse_constant=_refuse_constant)
    except ValueError:  # not UTF-8, not JSON
        return None
    return data if isinstance(data, dict) else None


def bearer_secret(request) -> str:
    """The key of ``Authorization: Bearer <key>`` as ``ApiKeyAuthentication`` reads it, or
    "" when the header is absent or not of that form (DRF then answers)."""
    parts = request.META.get("HTTP_AUTHORIZATION", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].isascii():
        return ""
    return parts[1]


def render(response: Response, *, allow: str) -> Response:
    """What DRF's ``finalize_response`` does to a view's answer with one JSON renderer."""
    response.accepted_renderer = _RENDERER
    response.accepted_media_type = JSON
    response.renderer_context = {}  # type: ignore[attr-defined]  # DRF sets it so too
    response["Allow"] = allow
    return response


def _key_alone(secret: str, given: Any) -> tuple[Any, Any]:
    return api_key_authenticate(secret=secret), None


def lean_post(
    view_cls,
    *,
    accept: Callable[[Any, dict], Any],
    handle: Callable[[Any, Any, Any, Any], Response],
    authenticate: Callable[[str, Any], tuple[Any, Any]] = _key_alone,
):
    """A view serving ``view_cls``'s plain POSTs itself (see the module). ``accept(request,
    data)`` returns the validated input of a plain request, exactly as the view's input
    serializer would give it, or None; ``authenticate(secret, input)`` returns the key as
    ``api_key_authenticate`` decides it (through which it may read more in the key's
    statement) and what else it read; ``handle(request, api_key, input, read)`` returns
    the Response and may raise what the view raises."""
    full = view_cls.as_view()
    probe = view_cls()
    if hasattr(probe, "get") and not hasattr(probe, "head"):
        probe.head = probe.get  # as View.setup does for every request
    allow = ", ".join(probe.allowed_methods)
    cap = view_cls.write_cap
    throttle_classes = list(view_cls.throttle_classes)
    exception_handler = view_cls.settings.EXCEPTION_HANDLER
    assert cap is not None and all(hasattr(t, "allow_api_key") for t in throttle_classes)

    def view(request, *args, **kwargs):
        if request.method != "POST" or request.META.get("HTTP_ACCEPT", "") not in PLAIN_ACCEPT:
            return full(request, *args, **kwargs)
        secret = bearer_secret(request)
        data = json_object(request) if secret else None
        given = accept(request, data) if data is not None else None
        if given is None:
            return full(request, *args, **kwargs)
        key, read = authenticate(secret, given)
        if key is None or not role_can(key.role, cap):
            return full(request, *args, **kwargs)  # DRF words the 401 / 403
        request.user, request.auth = ApiKeyPrincipal(key), key  # as DRF's Request sets them
        try:
            waits = []
            for throttle_class in throttle_classes:
                throttle = throttle_class()
                if not throttle.allow_api_key(key):
                    waits.append(throttle.wait())
            if waits:
                waits = [w for w in waits if w is not None]
                raise exceptions.Throttled(max(waits, default=None))
            response = handle(request, key, given, read)
        except Exception as exc:
            response = exception_handler(exc, {"request": request, "args": args, "kwargs": kwargs})
            if response is None:
                raise  # a bug: a 500, as from the DRF view
            response.exception = True
        return render(response, allow=allow)

    # drf-spectacular and DRF's tooling find the API view through these, as on as_view()'s
    view.cls = full.cls  # type: ignore[attr-defined]
    view.initkwargs = full.initkwargs  # type: ignore[attr-defined]
    view.view_class = full.view_class  # type: ignore[attr-defined]
    view.view_initkwargs = full.view_initkwargs  # type: ignore[attr-defined]
    view.lean = True  # type: ignore[attr-defined]  # accounts.api.chain: the short middleware chain
    return csrf_exempt(view)
