"""One attempt at an outbound POST that is retried with backoff, and the recovery of lost
attempts: the mechanism the event webhooks (``services.webhook_deliver``) and the
Twilio-style status callbacks and inbound forwards (``messaging.twilio_api``) share.

A caller keeps its own rows and its own request: a model with the attempt fields
(``status`` PENDING → RETRYING → SUCCEEDED | FAILED, ``attempts``, ``response_status``,
``last_error``, ``delivered_at``, ``next_attempt_at``) and a ``prepare`` that builds and
signs the request (our ``Webhook-Signature``, Twilio's ``X-Twilio-Signature``) or refuses
it. Here: the row locked (one worker per row), the POST (``WEBHOOK_TIMEOUT``, redirects not
followed, to the address checked by ``accounts.outbound`` — no second DNS lookup —, at most
``RESPONSE_MAX_BYTES`` of the answer read), the outcome recorded, and the next attempt after
``WEBHOOK_RETRY_BASE · 2^(n-1)`` s (capped at ``WEBHOOK_RETRY_CAP``) queued on commit, up to
``WEBHOOK_MAX_ATTEMPTS``; then FAILED.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.outbound import AddressRefused, pinned_pool

PENDING, RETRYING, SUCCEEDED, FAILED = "PENDING", "RETRYING", "SUCCEEDED", "FAILED"
DUE = (PENDING, RETRYING)
RECORDED = [
    "attempts",
    "status",
    "response_status",
    "last_error",
    "delivered_at",
    "next_attempt_at",
]


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))


def retry_delay(attempt: int) -> float:
    """Seconds before attempt ``attempt + 1`` (attempt counts from 1)."""
    base = float(getattr(settings, "WEBHOOK_RETRY_BASE", 30.0))
    cap = float(getattr(settings, "WEBHOOK_RETRY_CAP", 3600.0))
    return min(cap, base * 2 ** (attempt - 1))


@dataclass(frozen=True)
class Request:
    url: str
    headers: dict[str, str]
    data: bytes | dict[str, str]  # a raw body, or form fields


@dataclass(frozen=True)
class Refusal:
    """Not sent this time: ``error`` is recorded; ``final`` fails the row at once."""

    error: str
    final: bool = False


@dataclass(frozen=True)
class Answer:
    status: int | None = None  # the HTTP status, None when none came
    error: str = ""  # empty: a 2xx
    content: bytes = b""


# A TwiML reply or an acknowledgement: nothing we read back is larger. A tenant's server
# that streams more (or trickles it) must not hold a worker's memory or time.
RESPONSE_MAX_BYTES = 64 * 1024


def post(request: Request) -> Answer:
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT", 10.0))
    allow_private = bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_TARGETS", settings.DEBUG))
    headers = dict(request.headers)
    body = request.data
    if isinstance(body, dict):
        body = urlencode(body).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    try:
        pool, path, host = pinned_pool(request.url, allow_private=allow_private, timeout=timeout)
    except AddressRefused as exc:
        return Answer(error=str(exc))
    deadline = time.monotonic() + timeout * 2
    try:
        response = pool.urlopen(
            "POST", path, body=body, headers={**headers, "Host": host},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
        try:
            chunks, size = [], 0
            for chunk in response.stream(8192):
                chunks.append(chunk)
                size += len(chunk)
                if size >= RESPONSE_MAX_BYTES or time.monotonic() > deadline:
                    break
            content = b"".join(chunks)[:RESPONSE_MAX_BYTES]
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}"[:300])
    finally:
        pool.close()
    code = response.status
    return Answer(code, "" if 200 <= code < 300 else f"HTTP {code}", content)


def attempt(
    *,
    rows: QuerySet,
    pk: int,
    task,
    prepare: Callable[[Any], Request | Refusal],
    after: Callable[[Any, Answer], list[str]] | None = None,
):
    """One attempt at the row ``pk`` of ``rows`` when it is due; None when it is done
    already or another worker holds it. ``task`` (a Celery task taking the pk) makes the
    next attempt; ``after(row, answer)`` may record more of the answer on the row and
    returns the fields it set."""
    with transaction.atomic():
        # of=self: the joined rows (an endpoint, a message) are read, not locked, so other
        # rows of the same endpoint are not skipped meanwhile
        due = rows.select_for_update(skip_locked=True, of=("self",))
        row: Any = due.filter(pk=pk, status__in=DUE).first()
        if row is None:
            return None
        row.attempts += 1
        request = prepare(row)
        if isinstance(request, Refusal):
            answer, final = Answer(error=request.error), request.final
        else:
            answer, final = post(request), False
        now = timezone.now()
        row.response_status = answer.status
        row.last_error = answer.error
        retry_in = None
        if not answer.error:
            row.status, row.delivered_at, row.next_attempt_at = SUCCEEDED, now, None
        elif final or row.attempts >= max_attempts():
            row.status, row.next_attempt_at = FAILED, None
        else:
            retry_in = retry_delay(row.attempts)
            row.status, row.next_attempt_at = RETRYING, now + timedelta(seconds=retry_in)
        extra = after(row, answer) if after else []
        row.save(update_fields=RECORDED + extra)
        if retry_in is not None:
            transaction.on_commit(lambda: task.apply_async((pk,), countdown=retry_in))
    return row


def retry_due(*, rows: QuerySet, task, limit: int = 500) -> int:
    """Re-queue the rows whose attempt is overdue by a minute (their task was lost)."""
    grace = timezone.now() - timedelta(seconds=60)
    ids = list(
        rows.filter(status__in=DUE, next_attempt_at__lt=grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        task.apply_async((pk,))
    return len(ids)
