"""The simulated carrier: a real HTTP service on loopback (``manage.py run_carrier``).

It accepts messages (POST /v1/messages) and answers with ids, deduplicates on our
idempotency key (a repeat gets the first id and is logged with ``"duplicate": true``),
writes an append-only JSON-lines audit log of what it accepted (the carrier-side truth
that tests and benchmarks judge the cap and opt-outs by), calls back delivery receipts
signed with HMAC-SHA256 (timestamp + "." + body), injects faults (5xx, 429, time-outs,
slowness) on request through POST /control, plays recipients who reply (STOP, YES, HELP),
and serves number search / provisioning for the campaigns app.

Endpoints:
  POST   /v1/messages                 {"from","to","body","segments","idempotency_key",
                                        "status_callback"} -> 201 {"id","status","duplicate"}
  POST   /v1/messages/batch           {"messages": [up to 1,000 of the above]} -> 200
                                       {"results": [{"id","status","duplicate","http_status"}
                                       or {"code","message","http_status"[,"retry_after"]}]}
  GET    /v1/numbers/available?area_code=NNN&limit=N -> {"numbers": [...]}
  POST   /v1/numbers {"number"}       -> 201 {"number","id"} | 409
  DELETE /v1/numbers/<e164>           -> 204 | 404
  POST   /v1/simulate/inbound {"from","to","body"[,"media": [{"content_type","data_base64"}]]
                                       [,"picture": true]} -> 202 (posted to our inbound
                                       webhook; pictures as "media": [{"url","content_type"}]
                                       served from GET /v1/media/<id>)
  GET    /v1/media/<id>               a client's picture, for the product to download once

MMS: a message with "media_urls" is accepted only once the carrier has fetched every URL
(HTTP 200 within MEDIA_FETCH_TIMEOUT, at most MEDIA_MAX_BYTES each), as a real carrier or
Twilio does; a URL that does not answer 200 (an unsigned, forged or expired link answers
404) fails the message with 400 code 11200 ("HTTP retrieval failure"). The audit log line
records "media_count", "media_bytes" and per file "bytes", "sha256" and "content_type".
  GET    /control                     -> state and counters
  POST   /control {...}               -> change faults / replies / callbacks (see _control)
  GET    /health
"""

import asyncio
import base64
import hashlib
import io
import json
import logging
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web
from PIL import Image

log = logging.getLogger("carrier")

BATCH_MAX = 1000  # messages in one POST /v1/messages/batch
# Delivery receipts go per callback URL in batches, as aggregators push them (Infobip's
# {"results": [...]}, Sinch's batched reports): one request per CALLBACK_BATCH receipts, or
# after CALLBACK_LINGER seconds for a partial batch. Control keys change them.
CALLBACK_BATCH = 100
CALLBACK_BATCH_MAX = 1000  # what our webhook takes in one request
CALLBACK_LINGER = 0.2
CALLBACK_RETRY_FOR = 300.0  # seconds a receipt is retried before it is given up
MEDIA_FETCH_TIMEOUT = 10.0
MEDIA_MAX_BYTES = 5_000_000  # Twilio's MMS ceiling


@dataclass(slots=True)
class _Callback:
    """One request waiting in the outbox: a receipt, a batch of them, or an inbound text."""

    url: str
    payload: dict
    receipts: int  # receipts it carries (0: an inbound text)
    generation: int  # the carrier's reset count when it was made
    attempt: int = 0
    first_at: float = field(default_factory=time.monotonic)


def _sign(secret: bytes, timestamp: str, body: bytes) -> str:
    import hashlib
    import hmac

    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class Carrier:
    def __init__(self, *, audit_log: str, secret: bytes, webhook_base: str = "") -> None:
        self.audit_path = Path(audit_log)
        self.audit_path.parent.mkdir(parents=True, exist_ok=True)
        self.audit = open(self.audit_path, "a", buffering=1024 * 64)  # noqa: SIM115
        self.secret = secret
        self.webhook_base = webhook_base.rstrip("/")
        self.seen: dict[str, str] = {}  # idempotency key -> carrier id
        self.media: dict[str, tuple[str, bytes]] = {}  # clients' pictures: id -> (type, bytes)
        self.numbers: dict[str, str] = {}  # provisioned e164 -> id
        self.reset()
        # Made in on_startup, on the server's event loop; no handler runs before it.
        self.session: ClientSession
        self.outbox: asyncio.Queue[_Callback]
        self.background: set[asyncio.Task] = set()

    def reset(self) -> None:
        self.next_faults: deque[str] = deque()
        self.p_5xx = self.p_429 = self.p_timeout = 0.0
        self.slow = 0.0  # seconds added before answering (the message is accepted first)
        self.timeout_delay = 30.0
        self.retry_after = 1.0
        self.replies: dict[str, str] = {}  # recipient phone -> reply body
        self.callbacks = True
        self.callback_batch = CALLBACK_BATCH
        self.callback_linger = CALLBACK_LINGER
        self.callback_retry_for = CALLBACK_RETRY_FOR
        self.generation = getattr(self, "generation", 0) + 1
        self.waiting: dict[str, list[dict]] = {}  # receipts per callback URL, not yet sent
        self.callback_hold = False  # receipts wait in `held` until released (benchmarks)
        self.held: list[tuple[str, dict]] = []
        self.delivery_delay = 0.0
        self.undeliverable: set[str] = set()
        self.counters = {
            "accepted": 0,
            "duplicates": 0,
            "faults": 0,
            "receipts": 0,  # delivery receipts produced
            "callbacks": 0,  # receipts the receiver took (2xx)
            "callback_requests": 0,  # requests that carried them
            "callback_errors": 0,  # receipts refused (4xx) or given up
            "callback_retries": 0,  # requests retried
            "inbound": 0,
            "inbound_posts": 0,
            "inbound_errors": 0,
            "media_fetched": 0,
            "media_errors": 0,
        }

    # --- helpers ------------------------------------------------------------------------
    def _log(self, entry: dict) -> None:
        """Append one line; the handler flushes once per request (before it answers)."""
        self.audit.write(json.dumps(entry, separators=(",", ":")) + "\n")

    def _fault(self) -> str:
        if self.next_faults:
            return self.next_faults.popleft()
        r = random.random()
        if r < self.p_5xx:
            return "500"
        if r < self.p_5xx + self.p_429:
            return "429"
        if r < self.p_5xx + self.p_429 + self.p_timeout:
            return "timeout"
        return ""

    async def _post_once(self, url: str, payload: dict) -> int:
        """One signed POST; the HTTP status, or 0 when the receiver could not be reached.
        Signed afresh on every attempt, so a retry is never refused as a replay."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        ts = f"{time.time():.6f}"
        headers = {
            "Content-Type": "application/json",
            "X-Carrier-Timestamp": ts,
            "X-Carrier-Signature": _sign(self.secret, ts, body),
        }
        try:
            async with self.session.post(url, data=body, headers=headers) as resp:
                await resp.read()
                return resp.status
        except Exception as exc:  # the receiver may be down or slow: the caller retries
            log.debug("callback to %s failed: %s", url, exc)
            return 0

    async def _post(self, url: str, payload: dict) -> bool:
        """An inbound text, posted in the request that simulates it: a few quick tries."""
        for attempt in range(3):
            status = await self._post_once(url, payload)
            if status and status < 500:
                self.counters["inbound_posts"] += 1
                return True
            await asyncio.sleep(0.2 * (attempt + 1))
        self.counters["inbound_errors"] += 1
        return False

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.background.add(task)  # keep a reference until done
        task.add_done_callback(self.background.discard)

    async def _deliver(self, delay: float, url: str, payload: dict) -> None:
        """Queue one callback after ``delay``. Delivery receipts (they carry a ``status``)
        wait per URL until ``callback_batch`` of them are there or ``callback_linger``
        seconds have passed, then go as one request ``{"receipts": [...]}``
        (``callback_batch`` 1: each alone, the bare receipt); inbound texts go alone."""
        receipt = "status" in payload
        generation = self.generation
        if receipt:
            self.counters["receipts"] += 1
        if delay:
            await asyncio.sleep(delay)
        if not receipt:
            self.outbox.put_nowait(_Callback(url, payload, 0, generation))
        elif self.callback_hold and generation == self.generation:
            self.held.append((url, payload))
        else:
            self._queue_receipt(url, payload, generation)

    def _queue_receipt(self, url: str, payload: dict, generation: int) -> None:
        if self.callback_batch <= 1 or generation != self.generation:
            self.outbox.put_nowait(_Callback(url, payload, 1, generation))
            return
        waiting = self.waiting.setdefault(url, [])
        waiting.append(payload)
        if len(waiting) >= self.callback_batch:
            self._flush(url)
        elif len(waiting) == 1:
            self._spawn(self._linger(url, waiting))

    async def _linger(self, url: str, waiting: list) -> None:
        await asyncio.sleep(self.callback_linger)
        if self.waiting.get(url) is waiting:  # not flushed (full) in the meantime
            self._flush(url)

    def _flush(self, url: str) -> None:
        batch = self.waiting.pop(url)
        self.outbox.put_nowait(_Callback(url, {"receipts": batch}, len(batch), self.generation))

    async def _sender(self) -> None:
        while True:
            item = await self.outbox.get()
            try:
                await self._send(item)
            except Exception:  # a sender must never die: the item is counted as an error
                log.exception("callback sender failed")
                self._count(item, "callback_errors")
            finally:
                self.outbox.task_done()

    def _count(self, item: _Callback, counter: str) -> None:
        if item.generation != self.generation:
            return  # posted before a reset: not this test's figure
        if item.receipts:
            self.counters[counter] += item.receipts
            if counter == "callbacks":
                self.counters["callback_requests"] += 1
        elif counter == "callback_errors":
            self.counters["inbound_errors"] += 1
        else:
            self.counters["inbound_posts"] += 1

    async def _send(self, item: _Callback) -> None:
        """2xx: delivered. 4xx other than 408 / 429: refused for good (a retry would get the
        same answer), counted in ``callback_errors``. Anything else: retried after
        0.2, 0.4, 0.8 … ≤ 5 s, without holding a sender, for ``callback_retry_for`` seconds,
        then counted in ``callback_errors``. So every receipt ends in ``callbacks`` or
        ``callback_errors``; until then it is in ``pending_callbacks``."""
        status = await self._post_once(item.url, item.payload)
        if 200 <= status < 300:
            self._count(item, "callbacks")
            return
        if 400 <= status < 500 and status not in (408, 429):
            log.warning("callback to %s refused with %s", item.url, status)
            self._count(item, "callback_errors")
            return
        if item.generation != self.generation:
            return  # a reset dropped what was waiting for a retry (tests share a carrier)
        if time.monotonic() - item.first_at > self.callback_retry_for:
            log.warning("callback to %s given up after %d attempts", item.url, item.attempt + 1)
            self._count(item, "callback_errors")
            return
        self.counters["callback_retries"] += 1
        self._spawn(self._retry(item))

    async def _retry(self, item: _Callback) -> None:
        await asyncio.sleep(min(5.0, 0.2 * 2**item.attempt))
        item.attempt += 1
        self.outbox.put_nowait(item)

    # --- handlers -----------------------------------------------------------------------
    async def _fetch_one(self, url: str) -> dict:
        """GET one media URL as a carrier does: the file's size, hash and type, or "error"."""
        try:
            async with self.session.get(
                url, timeout=ClientTimeout(total=MEDIA_FETCH_TIMEOUT), allow_redirects=False
            ) as resp:
                if resp.status != 200:
                    return {"error": f"HTTP {resp.status}"}
                data = b""
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    data += chunk
                    if len(data) > MEDIA_MAX_BYTES:
                        return {"error": "larger than the MMS limit"}
                return {
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "content_type": resp.headers.get("Content-Type", ""),
                }
        except Exception as exc:  # unreachable, slow: the message fails like at a carrier
            return {"error": exc.__class__.__name__}

    async def _fetch_media(self, data) -> list[dict] | None:
        """Every file of an MMS, fetched before it is accepted (None: not an MMS, or a
        repeat of one already accepted)."""
        if not isinstance(data, dict) or not data.get("media_urls"):
            return None
        if str(data.get("idempotency_key") or "") in self.seen:
            return None
        urls = [str(u) for u in data["media_urls"]][:10]
        found = list(await asyncio.gather(*(self._fetch_one(u) for u in urls)))
        for f in found:
            self.counters["media_errors" if "error" in f else "media_fetched"] += 1
        return found

    def _accept(self, data, media: list[dict] | None = None) -> tuple[int, dict, dict]:
        """One message: (HTTP status, answer, headers); status 0 = the "timeout" fault.
        Shared by the single and the batch endpoint, so both log, dedup, call back and
        inject faults the same way. ``media``: what fetching its media URLs found."""
        try:
            sender, to, body = data["from"], data["to"], data["body"]
        except (KeyError, TypeError):
            return 400, {"code": "21602", "message": "from, to and body are required"}, {}
        failed = [f["error"] for f in media or [] if "error" in f]
        if failed:
            return 400, {"code": "11200", "message": f"media could not be fetched: {failed[0]}"}, {}
        fault = self._fault()
        if fault:
            self.counters["faults"] += 1
        if fault == "timeout":
            return 0, {}, {}
        if fault in ("500", "503"):
            text = "injected server error" if fault == "500" else "injected unavailable"
            return int(fault), {"code": fault, "message": text}, {}
        if fault == "429":
            return (
                429,
                {"code": "30022", "message": "rate limit exceeded"},
                {"Retry-After": str(self.retry_after)},
            )
        if fault == "reject":
            return 400, {"code": "21610", "message": "recipient unsubscribed"}, {}
        key = str(data.get("idempotency_key") or "")
        now = time.time()
        duplicate = bool(key) and key in self.seen
        carrier_id = self.seen[key] if duplicate else f"SM{uuid.uuid4().hex}"
        if key and not duplicate:
            self.seen[key] = carrier_id
        entry = {
            "message_id": key,
            "carrier_id": carrier_id,
            "from": sender,
            "to": to,
            "accepted_at": now,
            "segments": int(data.get("segments") or 1),
            "body": body,
        }
        if media:
            entry["media_count"] = len(media)
            entry["media_bytes"] = sum(f["bytes"] for f in media)
            entry["media"] = media
        if duplicate:
            entry["duplicate"] = True
            self.counters["duplicates"] += 1
        else:
            self.counters["accepted"] += 1
        self._log(entry)
        if not duplicate:
            callback = data.get("status_callback") or ""
            if callback and self.callbacks:
                status = "undelivered" if to in self.undeliverable else "delivered"
                payload = {"id": carrier_id, "message_id": key, "status": status}
                if status == "undelivered":
                    payload["error_code"] = "30003"
                self._spawn(self._deliver(self.delivery_delay, callback, payload))
            reply = self.replies.pop(to, None)  # a person answers once
            if reply and self.webhook_base:
                self.counters["inbound"] += 1
                self._spawn(
                    self._deliver(
                        0.0,
                        f"{self.webhook_base}/webhooks/carrier/inbound/",
                        {"id": f"MO{uuid.uuid4().hex}", "from": to, "to": sender, "body": reply},
                    )
                )
        return 201, {"id": carrier_id, "status": "accepted", "duplicate": duplicate}, {}

    async def send(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return web.json_response(
                {"code": "21602", "message": "from, to and body are required"}, status=400
            )
        status, answer, headers = self._accept(data, await self._fetch_media(data))
        self.audit.flush()
        if status == 0:
            await asyncio.sleep(self.timeout_delay)
            return web.json_response({"code": "504", "message": "late"}, status=504)
        if status == 201 and self.slow:
            await asyncio.sleep(self.slow)
        return web.json_response(answer, status=status, headers=headers)

    async def send_batch(self, request: web.Request) -> web.Response:
        """Many messages in one request, each with its own answer (as the bulk APIs of
        aggregators such as Infobip or Sinch do). Faults are drawn per message; a
        "timeout" fault stops the batch there: what came before it was accepted (and is
        logged), the request answers late with 504, so the client cannot know which ones
        landed and retries them all under the same idempotency keys."""
        try:
            items = (await request.json())["messages"]
            if not isinstance(items, list) or not 0 < len(items) <= BATCH_MAX:
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"code": "21602", "message": f"messages: a list of 1 to {BATCH_MAX} messages"},
                status=400,
            )
        results = []
        media = await asyncio.gather(*(self._fetch_media(data) for data in items))
        for data, files in zip(items, media, strict=True):
            status, answer, headers = self._accept(data if isinstance(data, dict) else {}, files)
            if status == 0:
                self.audit.flush()
                await asyncio.sleep(self.timeout_delay)
                return web.json_response({"code": "504", "message": "late"}, status=504)
            answer = {**answer, "http_status": status}
            if "Retry-After" in headers:
                answer["retry_after"] = float(headers["Retry-After"])
            results.append(answer)
        self.audit.flush()
        if self.slow:
            await asyncio.sleep(self.slow)
        return web.json_response({"results": results}, status=200)

    async def simulate_inbound(self, request: web.Request) -> web.Response:
        data = await request.json()
        payload = {
            "id": f"MO{uuid.uuid4().hex}",
            "from": data["from"],
            "to": data["to"],
            "body": data.get("body", ""),
        }
        files = [
            (str(f.get("content_type", "")), base64.b64decode(f.get("data_base64", "")))
            for f in data.get("media") or []
        ]
        if data.get("picture"):
            files.append(("image/jpeg", _picture(str(data.get("picture")))))
        if files:
            origin = str(request.url.origin())
            payload["media"] = []
            for content_type, blob in files:
                media_id = f"ME{uuid.uuid4().hex}"
                self.media[media_id] = (content_type, blob)
                payload["media"].append(
                    {"url": f"{origin}/v1/media/{media_id}", "content_type": content_type}
                )
        self.counters["inbound"] += 1
        await self._post(f"{self.webhook_base}/webhooks/carrier/inbound/", payload)
        return web.json_response(payload, status=202)

    async def media_get(self, request: web.Request) -> web.Response:
        found = self.media.get(request.match_info["media_id"])
        if found is None:
            return web.json_response({"code": "not_found", "message": "no such media"}, status=404)
        return web.Response(body=found[1], content_type=found[0] or "application/octet-stream")

    async def numbers_available(self, request: web.Request) -> web.Response:
        area = request.query.get("area_code", "555")
        if not (area.isdigit() and len(area) == 3):
            return web.json_response(
                {"code": "invalid", "message": "area_code is 3 digits"}, status=400
            )
        try:
            limit = max(1, min(50, int(request.query.get("limit", "10"))))
        except ValueError:
            limit = 10
        found = []
        for n in range(100, 10000):
            e164 = f"+1{area}555{n:04d}"
            if e164 not in self.numbers:
                found.append(e164)
            if len(found) >= limit:
                break
        return web.json_response({"numbers": found})

    async def numbers_provision(self, request: web.Request) -> web.Response:
        try:
            number = (await request.json())["number"]
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"code": "invalid", "message": "number is required"}, status=400
            )
        if number in self.numbers:
            return web.json_response(
                {"code": "taken", "message": "number already provisioned"}, status=409
            )
        self.numbers[number] = f"PN{uuid.uuid4().hex}"
        return web.json_response({"number": number, "id": self.numbers[number]}, status=201)

    async def numbers_release(self, request: web.Request) -> web.Response:
        number = request.match_info["number"]
        if self.numbers.pop(number, None) is None:
            return web.json_response(
                {"code": "not_found", "message": "not provisioned"}, status=404
            )
        return web.Response(status=204)

    async def control_get(self, request: web.Request) -> web.Response:
        return web.json_response(self._state())

    def _state(self) -> dict:
        return {
            "counters": self.counters,
            "next": list(self.next_faults),
            "p_5xx": self.p_5xx,
            "p_429": self.p_429,
            "p_timeout": self.p_timeout,
            "slow": self.slow,
            "callbacks": self.callbacks,
            "callback_batch": self.callback_batch,
            "callback_linger": self.callback_linger,
            "callback_retry_for": self.callback_retry_for,
            "callback_hold": self.callback_hold,
            "held_callbacks": len(self.held),
            "replies": self.replies,
            # receipts not yet taken nor given up (waiting for a batch, in flight, retrying)
            "pending_callbacks": self.counters["receipts"]
            - self.counters["callbacks"]
            - self.counters["callback_errors"],
        }

    async def control_post(self, request: web.Request) -> web.Response:
        """Body keys (all optional): reset (bool), next (list of "500"/"503"/"429"/"timeout"/
        "reject" for the next requests), p_5xx / p_429 / p_timeout (probabilities), slow and
        timeout_delay (seconds), retry_after, callbacks (bool), delivery_delay, replies
        ({phone: body}), undeliverable ([phone]), audit_log (a new path to log to);
        callback_batch (receipts per request, 1 = each alone as a bare receipt),
        callback_linger (seconds a partial batch waits), callback_retry_for (seconds a
        receipt is retried before it counts in callback_errors), callback_hold (true: keep
        receipts until it is set false again, then release them at once). reset also drops
        receipts held or waiting for a retry."""
        data = await request.json()
        if data.get("reset"):
            self.reset()
        if data.get("audit_log"):  # start a fresh log file (tests share one carrier)
            self.audit.close()
            self.audit_path = Path(data["audit_log"])
            self.audit_path.parent.mkdir(parents=True, exist_ok=True)
            self.audit = open(self.audit_path, "a", buffering=1024 * 64)  # noqa: SIM115
        if "next" in data:
            self.next_faults.extend(str(f) for f in data["next"])
        for key in (
            "p_5xx",
            "p_429",
            "p_timeout",
            "slow",
            "timeout_delay",
            "retry_after",
            "delivery_delay",
            "callback_linger",
            "callback_retry_for",
        ):
            if key in data:
                setattr(self, key, float(data[key]))
        if "callback_batch" in data:
            self.callback_batch = max(1, min(CALLBACK_BATCH_MAX, int(data["callback_batch"])))
        if "callback_hold" in data:
            self.callback_hold = bool(data["callback_hold"])
            if not self.callback_hold:  # release: all at once, as a burst
                held, self.held = self.held, []
                for url, payload in held:
                    self._queue_receipt(url, payload, self.generation)
        if "callbacks" in data:
            self.callbacks = bool(data["callbacks"])
        if "replies" in data:
            self.replies.update(data["replies"])
        if "webhook_base" in data:
            self.webhook_base = str(data["webhook_base"]).rstrip("/")
        if "undeliverable" in data:
            self.undeliverable.update(data["undeliverable"])
        return web.json_response(self._state())

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def on_startup(self, app) -> None:
        self.session = ClientSession(timeout=ClientTimeout(total=10))
        self.outbox = asyncio.Queue()
        app["senders"] = [asyncio.ensure_future(self._sender()) for _ in range(16)]

    async def on_cleanup(self, app) -> None:
        for url in list(self.waiting):  # partial batches go now, not after the linger
            self._flush(url)
        try:  # a moment for the senders to post what is queued
            await asyncio.wait_for(self.outbox.join(), timeout=1.0)
        except TimeoutError:
            log.warning("stopping with %d callback requests unsent", self.outbox.qsize())
        for task in app["senders"]:
            task.cancel()
        await self.session.close()
        self.audit.close()

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/messages", self.send)
        app.router.add_post("/v1/messages/batch", self.send_batch)
        app.router.add_get("/v1/numbers/available", self.numbers_available)
        app.router.add_post("/v1/numbers", self.numbers_provision)
        app.router.add_delete("/v1/numbers/{number}", self.numbers_release)
        app.router.add_post("/v1/simulate/inbound", self.simulate_inbound)
        app.router.add_get("/v1/media/{media_id}", self.media_get)
        app.router.add_get("/control", self.control_get)
        app.router.add_post("/control", self.control_post)
        app.router.add_get("/health", self.health)
        app.on_startup.append(self.on_startup)
        app.on_cleanup.append(self.on_cleanup)
        return app


def _picture(seed: str) -> bytes:
    """A photo a client might send: a JPEG with a camera's EXIF and a GPS position, which
    the product must strip before it stores the picture."""
    image = Image.linear_gradient("L").resize((640, 480)).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Simulated Phone"
    exif[0x010E] = seed if seed not in ("1", "True", "true") else "A photo"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (41.0, 52.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def serve(*, host: str, port: int, audit_log: str, secret: bytes, webhook_base: str) -> None:
    carrier = Carrier(audit_log=audit_log, secret=secret, webhook_base=webhook_base)
    web.run_app(
        carrier.app(),
        host=host,
        port=port,
        access_log=None,
        print=None,
        handle_signals=True,
        shutdown_timeout=1.0,
    )
