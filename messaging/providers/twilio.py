"""Twilio through the official ``twilio`` package (its async HTTP client, with a time-out).

``TWILIO_API_BASE_URL`` points the client at another server (tests run a local one that
speaks Twilio's Messages API). Webhooks are verified with twilio's RequestValidator
(messaging/provider_webhooks.py). Twilio has no idempotency key on message create; a retry after
an ambiguous failure may therefore send twice there, which the README states.
"""

import asyncio
import time

from django.conf import settings

from .base import (
    ACCEPTED,
    PERMANENT,
    THROTTLED,
    TRANSIENT,
    UNKNOWN,
    LineType,
    Outbound,
    Provider,
    SendResult,
    run_async,
)

# Twilio error codes that mean "try again later" rather than "never".
TRANSIENT_CODES = {"20429", "20500", "20503", "30001", "30022"}


class TwilioProvider(Provider):
    name = "twilio"

    def __init__(self) -> None:
        self._client = None

    def line_type(self, e164: str) -> LineType:
        """Twilio Lookup v2's line type intelligence (a paid request per number)."""
        lookup = self._ensure().lookups.v2.phone_numbers(e164)
        found = run_async(
            lookup.fetch_async(fields="line_type_intelligence"),
            timeout=settings.MESSAGING_SEND_TIMEOUT,
        )
        answer = found.line_type_intelligence or {}
        return LineType(
            phone=e164,
            line_type=answer.get("type") or UNKNOWN,
            carrier=answer.get("carrier_name") or "",
        )

    def _ensure(self):
        if self._client is None:
            from twilio.http.async_http_client import AsyncTwilioHttpClient
            from twilio.rest import Client

            http = AsyncTwilioHttpClient(timeout=settings.MESSAGING_SEND_TIMEOUT)
            client = Client(
                settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http
            )
            if settings.TWILIO_API_BASE_URL:
                client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
            self._client = client
            self._sem = asyncio.Semaphore(settings.MESSAGING_IN_FLIGHT)
        return self._client

    async def _send_one(self, client, item: Outbound) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs: dict = {"to": item.to, "from_": item.from_, "body": item.body}
        if item.media_urls:
            kwargs["media_url"] = list(item.media_urls)  # Twilio fetches each (MediaUrl)
        if item.status_callback:
            kwargs["status_callback"] = (
                f"{settings.MESSAGING_WEBHOOK_BASE_URL}/webhooks/twilio/status/"
            )
        try:
            async with self._sem:
                msg = await client.messages.create_async(**kwargs)
            return SendResult(ACCEPTED, msg.sid or "", done_at=time.time())
        except TwilioRestException as exc:
            code = str(exc.code or exc.status)
            done = time.time()
            if exc.status == 429:
                return SendResult(
                    THROTTLED, code=code, detail=exc.msg[:200], retry_after=1.0, done_at=done
                )
            if exc.status >= 500 or code in TRANSIENT_CODES:
                return SendResult(TRANSIENT, code=code, detail=str(exc.msg)[:200], done_at=done)
            return SendResult(PERMANENT, code=code, detail=str(exc.msg)[:200], done_at=done)
        except (TimeoutError, OSError, TwilioException, Exception) as exc:  # ambiguous: retry
            return SendResult(
                TRANSIENT, code="connection", detail=str(exc)[:200], done_at=time.time()
            )

    async def send_many(self, items: list[Outbound]) -> list[SendResult]:
        client = self._ensure()
        return list(await asyncio.gather(*(self._send_one(client, i) for i in items)))
