"""The provider interface: send a batch concurrently, verify and parse webhooks."""

import asyncio
import threading
from dataclasses import dataclass

ACCEPTED = "accepted"
TRANSIENT = "transient"  # 5xx, time-out, connection error: retry with backoff
PERMANENT = "permanent"  # the provider refused this message for good
THROTTLED = "throttled"  # 429: not accepted; slow the number down


@dataclass(frozen=True)
class Outbound:
    message_uuid: str  # also the idempotency key at the provider
    from_: str
    to: str
    body: str
    segments: int
    status_callback: str = ""
    media_urls: tuple[str, ...] = ()  # MMS: signed URLs the provider fetches the files from


@dataclass(frozen=True)
class SendResult:
    outcome: str
    provider_id: str = ""
    code: str = ""
    detail: str = ""
    retry_after: float | None = None
    done_at: float = 0.0  # Unix seconds when the answer (or the time-out) came back
    duplicate: bool = False


# Line types a carrier lookup answers (the names of Twilio Lookup's line_type_intelligence).
MOBILE = "mobile"
LANDLINE = "landline"
NON_FIXED_VOIP = "nonFixedVoip"
FIXED_VOIP = "fixedVoip"
TOLL_FREE = "tollFree"
PREMIUM = "premium"
UNKNOWN = "unknown"
TEXTABLE = frozenset({MOBILE, NON_FIXED_VOIP, FIXED_VOIP})


@dataclass(frozen=True)
class LineType:
    """A carrier lookup's answer for one number."""

    phone: str
    line_type: str
    carrier: str = ""

    @property
    def can_receive_texts(self) -> bool:
        return self.line_type in TEXTABLE


class Provider:
    name = "base"

    def line_type(self, e164: str) -> LineType:
        """The carrier's line type of ``e164`` (mobile, landline, ...): the hook for
        refusing numbers that cannot receive texts before the first send."""
        raise NotImplementedError

    async def send_many(self, items: list[Outbound]) -> list[SendResult]:
        raise NotImplementedError

    def verify_signature(self, *, url: str, body: bytes, headers) -> bool:
        raise NotImplementedError


class _Loop:
    """One event loop per process, in its own thread, so HTTP sessions (keep-alive
    connections) survive between batches and Celery's prefork children stay simple."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float | None = None):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


_loop: _Loop | None = None
_pid: int | None = None


def run_async(coro, timeout: float | None = None):
    global _loop, _pid
    import os

    if _loop is None or _pid != os.getpid():  # a forked child needs its own loop
        _loop, _pid = _Loop(), os.getpid()
    return _loop.run(coro, timeout)
