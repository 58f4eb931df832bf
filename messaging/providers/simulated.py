"""The simulated carrier's client: POST /v1/messages/batch (up to ``CARRIER_BATCH_SIZE``
messages a request, several requests in flight); ``CARRIER_BATCH_SIZE = 1`` posts each
message alone to /v1/messages."""

import asyncio
import time

import aiohttp
from django.conf import settings

from . import signing
from .base import (
    ACCEPTED,
    MOBILE,
    PERMANENT,
    THROTTLED,
    TRANSIENT,
    LineType,
    Outbound,
    Provider,
    SendResult,
)


class SimulatedCarrier(Provider):
    name = "simulated"

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or settings.CARRIER_URL).rstrip("/")
        self.timeout = settings.MESSAGING_SEND_TIMEOUT
        self._session: aiohttp.ClientSession | None = None
        self._sem: asyncio.Semaphore | None = None

    def line_type(self, e164: str) -> LineType:
        """Every number the simulated carrier knows is a mobile (no network call)."""
        return LineType(phone=e164, line_type=MOBILE, carrier="Simulated Wireless")

    async def _ensure(self) -> tuple[aiohttp.ClientSession, asyncio.Semaphore]:
        """The session and the in-flight limit, made together (on the current event loop)."""
        if self._session is None or self._session.closed or self._sem is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=settings.MESSAGING_IN_FLIGHT),
            )
            self._sem = asyncio.Semaphore(settings.MESSAGING_IN_FLIGHT)
        return self._session, self._sem

    @staticmethod
    def _payload(item: Outbound) -> dict:
        payload = {
            "from": item.from_,
            "to": item.to,
            "body": item.body,
            "segments": item.segments,
            "idempotency_key": item.message_uuid,
            "status_callback": item.status_callback,
        }
        if item.media_urls:
            payload["media_urls"] = list(item.media_urls)
        return payload

    async def _send_one(
        self, session: aiohttp.ClientSession, sem: asyncio.Semaphore, item: Outbound
    ) -> SendResult:
        try:
            async with (
                sem,
                session.post(f"{self.base_url}/v1/messages", json=self._payload(item)) as resp,
            ):
                data = await resp.json(content_type=None) if resp.content_length != 0 else {}
                retry = float(resp.headers.get("Retry-After", "1") or 1)
                return self._result(resp.status, data or {}, retry, time.time())
        except TimeoutError:
            return SendResult(
                TRANSIENT, code="timeout", detail="no answer in time", done_at=time.time()
            )
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return SendResult(
                TRANSIENT, code="connection", detail=str(exc)[:200], done_at=time.time()
            )

    async def _send_chunk(
        self, session: aiohttp.ClientSession, sem: asyncio.Semaphore, chunk: list[Outbound]
    ) -> list[SendResult]:
        payload = {"messages": [self._payload(i) for i in chunk]}
        try:
            async with (
                sem,
                session.post(f"{self.base_url}/v1/messages/batch", json=payload) as resp,
            ):
                data = await resp.json(content_type=None) if resp.content_length != 0 else {}
                done = time.time()
                answers = (data or {}).get("results") if resp.status == 200 else None
                if not isinstance(answers, list) or len(answers) != len(chunk):
                    # the request as a whole failed: nobody knows which ones landed
                    code = str(resp.status)
                    outcome = TRANSIENT if resp.status >= 500 or resp.status == 200 else PERMANENT
                    detail = str(data)[:200]
                    return [SendResult(outcome, code=code, detail=detail, done_at=done)] * len(
                        chunk
                    )
                return [
                    self._result(int(a.get("http_status") or 0), a, a.get("retry_after"), done)
                    for a in answers
                ]
        except TimeoutError:
            late = SendResult(
                TRANSIENT, code="timeout", detail="no answer in time", done_at=time.time()
            )
            return [late] * len(chunk)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            done = time.time()
            return [
                SendResult(TRANSIENT, code="connection", detail=str(exc)[:200], done_at=done)
            ] * len(chunk)

    @staticmethod
    def _result(status: int, data: dict, retry_after, done: float) -> SendResult:
        """One message's answer (from /v1/messages or one item of a batch) as a SendResult."""
        if status in (200, 201):
            return SendResult(
                ACCEPTED, data.get("id", ""), done_at=done, duplicate=bool(data.get("duplicate"))
            )
        if status == 429:
            return SendResult(
                THROTTLED,
                code="429",
                detail="rate limit exceeded",
                retry_after=float(retry_after or 1),
                done_at=done,
            )
        if status >= 500 or status == 0:
            return SendResult(TRANSIENT, code=str(status), detail=str(data)[:200], done_at=done)
        return SendResult(
            PERMANENT,
            code=str(data.get("code") or status),
            detail=str(data.get("message", ""))[:200],
            done_at=done,
        )

    async def send_many(self, items: list[Outbound]) -> list[SendResult]:
        session, sem = await self._ensure()
        size = settings.CARRIER_BATCH_SIZE
        if size <= 1:
            return list(await asyncio.gather(*(self._send_one(session, sem, i) for i in items)))
        chunks = [items[k : k + size] for k in range(0, len(items), size)]
        answers = await asyncio.gather(*(self._send_chunk(session, sem, c) for c in chunks))
        return [r for chunk in answers for r in chunk]

    def verify_signature(self, *, url: str, body: bytes, headers) -> bool:
        return signing.verify(
            signing.carrier_secret(),
            timestamp=headers.get("X-Carrier-Timestamp", ""),
            signature=headers.get("X-Carrier-Signature", ""),
            body=body,
        )
