"""The simulated carrier's client: POST /v1/messages with many requests in flight."""

import asyncio
import time

import aiohttp
from django.conf import settings

from . import signing
from .base import ACCEPTED, PERMANENT, THROTTLED, TRANSIENT, Outbound, Provider, SendResult


class SimulatedCarrier(Provider):
    name = "simulated"

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or settings.CARRIER_URL).rstrip("/")
        self.timeout = settings.MESSAGING_SEND_TIMEOUT
        self._session: aiohttp.ClientSession | None = None
        self._sem: asyncio.Semaphore | None = None

    async def _ensure(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=settings.MESSAGING_IN_FLIGHT),
            )
            self._sem = asyncio.Semaphore(settings.MESSAGING_IN_FLIGHT)
        return self._session

    async def _send_one(self, session, item: Outbound) -> SendResult:
        payload = {
            "from": item.from_,
            "to": item.to,
            "body": item.body,
            "segments": item.segments,
            "idempotency_key": item.message_uuid,
            "status_callback": item.status_callback,
        }
        try:
            async with (
                self._sem,
                session.post(f"{self.base_url}/v1/messages", json=payload) as resp,
            ):
                data = await resp.json(content_type=None) if resp.content_length != 0 else {}
                done = time.time()
                data = data or {}
                if resp.status in (200, 201):
                    return SendResult(
                        ACCEPTED,
                        data.get("id", ""),
                        done_at=done,
                        duplicate=bool(data.get("duplicate")),
                    )
                if resp.status == 429:
                    retry = float(resp.headers.get("Retry-After", "1") or 1)
                    return SendResult(
                        THROTTLED,
                        code="429",
                        detail="rate limit exceeded",
                        retry_after=retry,
                        done_at=done,
                    )
                if resp.status >= 500:
                    return SendResult(
                        TRANSIENT, code=str(resp.status), detail=str(data)[:200], done_at=done
                    )
                return SendResult(
                    PERMANENT,
                    code=str(data.get("code") or resp.status),
                    detail=str(data.get("message", ""))[:200],
                    done_at=done,
                )
        except TimeoutError:
            return SendResult(
                TRANSIENT, code="timeout", detail="no answer in time", done_at=time.time()
            )
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return SendResult(
                TRANSIENT, code="connection", detail=str(exc)[:200], done_at=time.time()
            )

    async def send_many(self, items: list[Outbound]) -> list[SendResult]:
        session = await self._ensure()
        return list(await asyncio.gather(*(self._send_one(session, i) for i in items)))

    def verify_signature(self, *, url: str, body: bytes, headers) -> bool:
        return signing.verify(
            signing.carrier_secret(),
            timestamp=headers.get("X-Carrier-Timestamp", ""),
            signature=headers.get("X-Carrier-Signature", ""),
            body=body,
        )
