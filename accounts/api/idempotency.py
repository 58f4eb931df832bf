"""Idempotency keys for every create endpoint of the API (one mechanism).

A client that sends ``Idempotency-Key: <up to 100 characters>`` with a create request may
send it again safely (a time-out, a retry): the first answer is stored with a fingerprint
of the request (SHA-256 of the method, the path and the canonical body), per business, key
and endpoint. A repeat with the same request gets the stored answer again, with status 200
(not 201: nothing was created now) and ``Idempotent-Replayed: true``; the same key with a
different request is 409 ``idempotency_key_reused`` in the one error shape. Only 2xx
answers are stored: a refused request (400, 409 ...) leaves the key free for a corrected
retry. Two identical requests at once: the second waits on the unique index until the
first commits, then gets its answer. Answers are kept ``IDEMPOTENCY_KEY_TTL_HOURS`` (24).

Use: decorate the view's ``post`` with ``@idempotent("contacts_create")``.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.response import Response

from accounts.errors import Conflict, ValidationFailed
from accounts.models import IdempotentRequest  # the type of a stored answer
from accounts.selectors import idempotent_request_find
from accounts.services import idempotent_request_claim, idempotent_request_store

HEADER = "Idempotency-Key"
IDEMPOTENCY_META = "HTTP_IDEMPOTENCY_KEY"  # the header in request.META
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY = 100

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Up to 100 characters. A repeat of the same request returns the first "
    "answer (200, header Idempotent-Replayed: true); the same key with another request is "
    "409 idempotency_key_reused. Kept 24 hours.",
)


def _canonical(request) -> Any:
    """The request's content, independent of key order and encoding; files by their hash."""
    data = request.data
    if hasattr(data, "lists"):  # a form or multipart body
        data = {k: v if len(v) > 1 else v[0] for k, v in data.lists()}
    files = getattr(request, "FILES", None) or {}
    out: dict[str, Any] = {
        k: (hashlib.sha256(v.read()).hexdigest() if hasattr(v, "read") else v)
        for k, v in (data.items() if isinstance(data, dict) else [("_", data)])
    }
    for name, upload in files.items():
        upload.seek(0)
        out[name] = hashlib.sha256(upload.read()).hexdigest()
        upload.seek(0)
    out.pop("idempotency_key", None)
    return out


def fingerprint(request, canonical: Any) -> str:
    text = json.dumps(
        [request.method, request.path, canonical],
        sort_keys=True,
        separators=(",", ":"),
        cls=DjangoJSONEncoder,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def request_key(request, *, body_field: bool = False) -> str:
    key = (request.headers.get(HEADER) or "").strip()
    if not key and body_field and isinstance(request.data, dict):
        key = str(request.data.get("idempotency_key") or "").strip()
    if len(key) > MAX_KEY:
        raise ValidationFailed(fields={"idempotency_key": [f"At most {MAX_KEY} characters."]})
    return key


def _replay(record: IdempotentRequest, fp: str, resource: str) -> Response:
    if record.fingerprint != fp:
        first = record.response.get("uuid") if isinstance(record.response, dict) else None
        raise Conflict(
            "This idempotency key was used for another request.",
            code="idempotency_key_reused",
            detail={resource: first, "key": record.key},
        )
    response = Response(record.response, status=status.HTTP_200_OK)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(
    operation: str,
    *,
    resource: str = "resource",
    body_field: bool = False,
    canonical: Callable[[Any], Any] | None = None,
):
    """Make a create view's ``post`` idempotent under ``Idempotency-Key``. ``canonical``
    (given the request) says what makes two requests the same, when the raw body says too
    much (two spellings of one phone number); ``resource`` names the created object in the
    409's detail; ``body_field`` also reads the key from an ``idempotency_key`` field."""

    def decorate(post):
        @functools.wraps(post)
        def wrapper(view, request, *args, **kwargs):
            key = request_key(request, body_field=body_field)
            if not key:
                return post(view, request, *args, **kwargs)
            business = view.business
            fp = fingerprint(request, canonical(request) if canonical else _canonical(request))
            found = idempotent_request_find(
                business=business, idempotency_key=key, operation=operation
            )
            if found is not None:
                return _replay(found, fp, resource)
            try:
                with transaction.atomic():
                    # claim the key first: a concurrent twin waits here until we commit
                    record = idempotent_request_claim(
                        business=business, key=key, operation=operation, fingerprint=fp
                    )
                    response = post(view, request, *args, **kwargs)
                    if not 200 <= response.status_code < 300:
                        transaction.set_rollback(True)  # nothing kept: the key stays free
                        return response
                    idempotent_request_store(
                        record=record, status=response.status_code, body=response.data
                    )
                    return response
            except IntegrityError:
                # the twin committed first (or a constraint of the create failed: then the
                # key has no answer and the error is the create's own)
                found = idempotent_request_find(
                    business=business, idempotency_key=key, operation=operation
                )
                if found is None:
                    raise
                return _replay(found, fp, resource)

        return wrapper

    return decorate
