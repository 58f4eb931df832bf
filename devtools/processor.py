"""The simulated payment processor: a real HTTP service on loopback that speaks the subset
of Stripe's API the product uses (``manage.py run_processor``), so the official ``stripe``
library, pointed at it by its base URL, is what the product calls in ``make run`` and the
tests.

API (form-encoded like Stripe's, ``Authorization: Bearer <secret key>``, ``Idempotency-Key``
honoured: a repeat gets the first answer):
  POST /v1/customers                     GET /v1/customers/<id>
  POST /v1/checkout/sessions             GET /v1/checkout/sessions/<id>
  GET  /v1/setup_intents/<id>            GET /v1/payment_methods/<id>
  POST /v1/payment_intents (confirm=true, off_session)   GET /v1/payment_intents/<id>
  POST /v1/refunds

The hosted card page (``checkout.session.url``): GET/POST /checkout/<session id>. Stripe's
own test cards choose what happens:
  4242 4242 4242 4242   succeeds, now and on later charges
  4000 0000 0000 0002   declined on the page (card_declined)
  4000 0025 0000 3155   asks for authentication on the page (a challenge to complete or fail)
  4000 0000 0000 0341   saved fine, but every later charge is declined
  4000 0027 6000 3184   asks for authentication on the page, and on every later charge
Any other number is refused as Stripe's test mode does ("Your card number is incorrect").
The card number is used to pick the behaviour and dropped: only brand and last four digits
are kept, and nothing is logged.

Webhooks (checkout.session.completed, setup_intent.succeeded, payment_intent.succeeded,
payment_intent.payment_failed, charge.refunded) are posted to the webhook URL in order,
signed as Stripe signs them (``Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.payload">``),
retried with backoff until they get a 2xx.

  GET /control → state;  POST /control {"reset": true, "webhook_url": "..."};  GET /health
"""

import asyncio
import hashlib
import hmac
import html
import json
import logging
import re
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import ClientSession, ClientTimeout, web

log = logging.getLogger("processor")

# Stripe's test cards and what each does here (see the module docstring).
CARDS = {
    "4242424242424242": ("visa", "ok"),
    "4000000000000002": ("visa", "declined"),
    "4000002500003155": ("visa", "authenticate_once"),
    "4000000000000341": ("visa", "decline_charges"),
    "4000002760003184": ("visa", "authenticate_always"),
    "5555555555554444": ("mastercard", "ok"),
}
WEBHOOK_RETRIES = 8


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def parse_form(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's bracket notation (``metadata[a]=1``, ``items[0][price]=x``) to nested
    dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    """Dicts whose keys are 0..n-1 become lists."""
    if isinstance(node, dict):
        node = {k: _lists(v) for k, v in node.items()}
        if node and all(k.isdigit() for k in node):
            return [node[k] for k in sorted(node, key=int)]
    return node


def sign(secret: str, payload: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _error(status: int, kind: str, message: str, **extra) -> web.Response:
    body = {"error": {"type": kind, "message": message, **extra}}
    return web.json_response(body, status=status)


class Processor:
    def __init__(self, *, secret_key: str, webhook_secret: str, webhook_url: str, base: str):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.base = base.rstrip("/")
        self.reset()
        self.session: ClientSession
        self.outbox: asyncio.Queue

    def reset(self) -> None:
        self.objects: dict[str, dict] = {}  # every object by id
        self.behaviour: dict[str, str] = {}  # payment method id -> what its charges do
        self.idempotent: dict[str, tuple[int, dict]] = {}
        self.events: list[dict] = []  # sent (or being sent), for tests
        self.delivered = 0

    # --- plumbing ---------------------------------------------------------------------

    async def on_startup(self, app) -> None:
        self.session = ClientSession(timeout=ClientTimeout(total=10))
        self.outbox = asyncio.Queue()
        app["sender"] = asyncio.create_task(self._sender())

    async def on_cleanup(self, app) -> None:
        app["sender"].cancel()
        await self.session.close()

    async def _sender(self) -> None:
        """Deliver events one at a time, in order, retrying with backoff."""
        while True:
            event = await self.outbox.get()
            payload = json.dumps(event).encode()
            for attempt in range(WEBHOOK_RETRIES):
                url = self.webhook_url
                if not url:
                    break
                header = sign(self.webhook_secret, payload, int(time.time()))
                try:
                    async with self.session.post(
                        url,
                        data=payload,
                        headers={"Content-Type": "application/json", "Stripe-Signature": header},
                    ) as response:
                        if 200 <= response.status < 300:
                            self.delivered += 1
                            break
                except Exception:  # noqa: S110 - a down endpoint is retried
                    pass
                await asyncio.sleep(min(0.2 * 2**attempt, 5.0))

    def emit(self, kind: str, obj: dict) -> None:
        event = {
            "id": _id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": json.loads(json.dumps(obj))},
        }
        self.events.append({"id": event["id"], "type": kind, "object": obj.get("id")})
        self.outbox.put_nowait(event)

    def store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, kind: str, obj_id: str) -> dict | None:
        obj = self.objects.get(obj_id)
        return obj if obj is not None and obj["object"] == kind else None

    @web.middleware
    async def api_auth(self, request: web.Request, handler):
        if not request.path.startswith("/v1/"):
            return await handler(request)
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.secret_key}":
            return _error(401, "invalid_request_error", "Invalid API Key provided.")
        key = request.headers.get("Idempotency-Key")
        if request.method == "POST" and key and key in self.idempotent:
            status, body = self.idempotent[key]
            return web.json_response(body, status=status, headers={"Idempotent-Replayed": "true"})
        response = await handler(request)
        if request.method == "POST" and key and isinstance(response, web.Response):
            assert response.text is not None
            self.idempotent[key] = (response.status, json.loads(response.text))
        return response

    async def form(self, request: web.Request) -> dict:
        body = await request.text()
        return parse_form(parse_qsl(body, keep_blank_values=True))

    # --- API --------------------------------------------------------------------------

    async def customers_create(self, request: web.Request) -> web.Response:
        data = await self.form(request)
        customer = self.store(
            {
                "id": _id("cus"),
                "object": "customer",
                "created": int(time.time()),
                "name": data.get("name"),
                "email": data.get("email"),
                "metadata": data.get("metadata", {}),
                "invoice_settings": {"default_payment_method": None},
            }
        )
        return web.json_response(customer)

    async def retrieve(self, request: web.Request) -> web.Response:
        kind = request.match_info["kind"]
        kinds = {
            "customers": "customer",
            "setup_intents": "setup_intent",
            "payment_intents": "payment_intent",
            "payment_methods": "payment_method",
        }
        obj = self.get(kinds.get(kind, ""), request.match_info["id"])
        if obj is None:
            return _error(404, "invalid_request_error", "No such object.", code="resource_missing")
        return web.json_response(obj)

    async def session_retrieve(self, request: web.Request) -> web.Response:
        obj = self.get("checkout.session", request.match_info["id"])
        if obj is None:
            return _error(404, "invalid_request_error", "No such checkout session.")
        return web.json_response(obj)

    async def sessions_create(self, request: web.Request) -> web.Response:
        data = await self.form(request)
        mode = data.get("mode")
        if mode not in ("setup", "payment"):
            return _error(400, "invalid_request_error", "mode must be setup or payment.")
        customer = data.get("customer")
        if customer and self.get("customer", customer) is None:
            return _error(400, "invalid_request_error", f"No such customer: '{customer}'")
        amount = 0
        currency = data.get("currency", "usd")
        for item in data.get("line_items", []):
            price = item.get("price_data", {})
            amount += int(price.get("unit_amount", 0)) * int(item.get("quantity", 1))
            currency = price.get("currency", currency)
        session_id = _id("cs_test")
        session = self.store(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": mode,
                "status": "open",
                "customer": customer,
                "currency": currency,
                "amount_total": amount if mode == "payment" else None,
                "metadata": data.get("metadata", {}),
                "payment_intent_data": data.get("payment_intent_data", {}),
                "success_url": data.get("success_url"),
                "cancel_url": data.get("cancel_url"),
                "setup_intent": None,
                "payment_intent": None,
                "url": f"{self.base}/checkout/{session_id}",
            }
        )
        public = {k: v for k, v in session.items() if k != "payment_intent_data"}
        return web.json_response(public)

    def _charge(
        self,
        *,
        amount: int,
        currency: str,
        customer,
        pm_id: str,
        metadata: dict,
        description: str = "",
        off_session: bool,
        future_usage: str | None = None,
    ) -> dict:
        """A PaymentIntent confirmed at once with ``pm_id``; its webhooks sent."""
        behaviour = self.behaviour.get(pm_id, "ok")
        intent = {
            "id": _id("pi"),
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": currency,
            "customer": customer,
            "payment_method": pm_id,
            "description": description,
            "metadata": metadata,
            "setup_future_usage": future_usage,
            "status": "processing",
            "last_payment_error": None,
            "latest_charge": None,
            "created": int(time.time()),
        }
        error = None
        if behaviour == "decline_charges":
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "message": "Your card was declined.",
            }
        elif behaviour == "authenticate_always" and off_session:
            error = {
                "type": "card_error",
                "code": "authentication_required",
                "decline_code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
            }
        if error:
            intent.update(status="requires_payment_method", last_payment_error=error)
            self.store(intent)
            self.emit("payment_intent.payment_failed", intent)
            return intent
        charge = self.store(
            {
                "id": _id("ch"),
                "object": "charge",
                "amount": amount,
                "amount_refunded": 0,
                "currency": currency,
                "payment_intent": intent["id"],
                "metadata": metadata,
                "paid": True,
                "refunded": False,
                "status": "succeeded",
            }
        )
        intent.update(status="succeeded", amount_received=amount, latest_charge=charge["id"])
        self.store(intent)
        self.emit("payment_intent.succeeded", intent)
        return intent

    async def intents_create(self, request: web.Request) -> web.Response:
        data = await self.form(request)
        try:
            amount = int(data.get("amount", ""))
        except ValueError:
            return _error(400, "invalid_request_error", "Missing required param: amount.")
        pm_id = data.get("payment_method", "")
        if self.get("payment_method", pm_id) is None:
            return _error(400, "invalid_request_error", f"No such PaymentMethod: '{pm_id}'")
        if data.get("confirm") != "true":
            return _error(400, "invalid_request_error", "Only confirm=true is simulated.")
        intent = self._charge(
            amount=amount,
            currency=data.get("currency", "usd"),
            customer=data.get("customer"),
            pm_id=pm_id,
            metadata=data.get("metadata", {}),
            description=data.get("description", ""),
            off_session=data.get("off_session") == "true",
        )
        if intent["status"] != "succeeded":
            err = intent["last_payment_error"]
            return _error(
                402,
                "card_error",
                err["message"],
                code=err["code"],
                decline_code=err["decline_code"],
                payment_intent=intent,
            )
        return web.json_response(intent)

    async def refunds_create(self, request: web.Request) -> web.Response:
        data = await self.form(request)
        intent = self.get("payment_intent", data.get("payment_intent", ""))
        if intent is None or intent["status"] != "succeeded":
            return _error(400, "invalid_request_error", "No succeeded payment to refund.")
        charge = self.objects[intent["latest_charge"]]
        amount = int(data.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            return _error(400, "invalid_request_error", "Refund amount exceeds the charge.")
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = self.store(
            {
                "id": _id("re"),
                "object": "refund",
                "amount": amount,
                "charge": charge["id"],
                "payment_intent": intent["id"],
                "metadata": data.get("metadata", {}),
                "status": "succeeded",
            }
        )
        self.emit("charge.refunded", charge)
        return web.json_response(refund)

    # --- the hosted card page -----------------------------------------------------------

    def _page(self, session: dict, error: str = "", status: int = 200) -> web.Response:
        amount = session.get("amount_total") or 0
        what = (
            f"Pay {amount / 100:.2f} {session['currency'].upper()}"
            if session["mode"] == "payment"
            else "Save a card for future invoices"
        )
        cards = "".join(
            f"<li><code>{n[:4]} {n[4:8]} {n[8:12]} {n[12:]}</code> — {b}</li>"
            for n, b in (
                ("4242424242424242", "succeeds"),
                ("4000000000000002", "declined"),
                ("4000002500003155", "authentication required"),
                ("4000000000000341", "saved, later charges declined"),
                ("4000002760003184", "authentication required, every time"),
            )
        )
        body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Simulated processor — checkout</title><link rel="icon" href="data:,"></head><body>
<h1>Simulated processor</h1><p id="what">{html.escape(what)}</p>
{f'<p role="alert" id="card-error">{html.escape(error)}</p>' if error else ""}
<form method="post" autocomplete="off">
<label>Card number <input name="number" id="number" inputmode="numeric"></label><br>
<label>Expiry (MM/YY) <input name="expiry" id="expiry" value="12/34"></label><br>
<label>CVC <input name="cvc" id="cvc" value="123"></label><br>
<button type="submit" id="submit">{"Pay" if session["mode"] == "payment" else "Save card"}</button>
</form>
<p><a href="{html.escape(session.get("cancel_url") or "/")}" id="cancel">Cancel</a></p>
<p>Test cards:</p><ul>{cards}</ul></body></html>"""
        return web.Response(text=body, content_type="text/html", status=status)

    async def checkout_page(self, request: web.Request) -> web.Response:
        session = self.get("checkout.session", request.match_info["id"])
        if session is None:
            return web.Response(status=404, text="No such checkout session.")
        if session["status"] != "open":
            raise web.HTTPFound(session["success_url"])
        return self._page(session)

    async def checkout_submit(self, request: web.Request) -> web.Response:
        session = self.get("checkout.session", request.match_info["id"])
        if session is None or session["status"] != "open":
            return web.Response(status=404, text="No such open checkout session.")
        form = await request.post()
        number = re.sub(r"\D", "", str(form.get("number", "")))
        card, last4 = CARDS.get(number), number[-4:]
        del number  # only the brand and last four digits go any further
        if card is None:
            return self._page(session, "Your card number is incorrect.", 402)
        brand, behaviour = card
        if behaviour == "declined":
            return self._page(session, "Your card was declined.", 402)
        pm = self.store(
            {
                "id": _id("pm"),
                "object": "payment_method",
                "type": "card",
                "customer": session.get("customer"),
                "card": {"brand": brand, "last4": last4, "exp_month": 12, "exp_year": 2034},
            }
        )
        self.behaviour[pm["id"]] = behaviour
        if behaviour in ("authenticate_once", "authenticate_always"):
            session["pending_pm"] = pm["id"]
            raise web.HTTPFound(f"/checkout/{session['id']}/authenticate")
        return self._complete(session, pm["id"])

    async def authenticate_page(self, request: web.Request) -> web.Response:
        session = self.get("checkout.session", request.match_info["id"])
        if session is None or not session.get("pending_pm"):
            return web.Response(status=404, text="Nothing to authenticate.")
        body = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Simulated processor — authentication</title><link rel="icon" href="data:,">
</head><body>
<h1>Your bank asks you to confirm</h1>
<form method="post">
<button name="outcome" value="complete" id="complete">Complete authentication</button>
<button name="outcome" value="fail" id="fail">Fail authentication</button></form></body></html>"""
        return web.Response(text=body, content_type="text/html")

    async def authenticate_submit(self, request: web.Request) -> web.Response:
        session = self.get("checkout.session", request.match_info["id"])
        if session is None or not session.get("pending_pm"):
            return web.Response(status=404, text="Nothing to authenticate.")
        form = await request.post()
        pm_id = session.pop("pending_pm")
        if form.get("outcome") != "complete":
            return self._page(session, "We are unable to authenticate your payment method.", 402)
        if self.behaviour[pm_id] == "authenticate_once":
            self.behaviour[pm_id] = "ok"
        return self._complete(session, pm_id)

    def _complete(self, session: dict, pm_id: str) -> web.Response:
        if session["mode"] == "setup":
            setup = self.store(
                {
                    "id": _id("seti"),
                    "object": "setup_intent",
                    "status": "succeeded",
                    "customer": session.get("customer"),
                    "payment_method": pm_id,
                    "usage": "off_session",
                    "metadata": session.get("metadata", {}),
                }
            )
            session.update(status="complete", setup_intent=setup["id"])
            self.emit("setup_intent.succeeded", setup)
        else:
            data = session.get("payment_intent_data", {})
            intent = self._charge(
                amount=int(session["amount_total"] or 0),
                currency=session["currency"],
                customer=session.get("customer"),
                pm_id=pm_id,
                metadata=data.get("metadata", {}),
                off_session=False,
                future_usage=data.get("setup_future_usage"),
            )
            if intent["status"] != "succeeded":
                return self._page(session, intent["last_payment_error"]["message"], 402)
            session.update(status="complete", payment_intent=intent["id"])
        public = {k: v for k, v in session.items() if k != "payment_intent_data"}
        self.emit("checkout.session.completed", public)
        raise web.HTTPFound(session["success_url"])

    # --- control ----------------------------------------------------------------------

    async def control_get(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "webhook_url": self.webhook_url,
                "events": self.events,
                "delivered": self.delivered,
                "pending": self.outbox.qsize(),
                "objects": len(self.objects),
            }
        )

    async def control_post(self, request: web.Request) -> web.Response:
        data = await request.json()
        if data.get("reset"):
            self.reset()
        if "webhook_url" in data:
            self.webhook_url = data["webhook_url"]
        return await self.control_get(request)

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.api_auth])
        app.router.add_post("/v1/customers", self.customers_create)
        app.router.add_post("/v1/checkout/sessions", self.sessions_create)
        app.router.add_get("/v1/checkout/sessions/{id}", self.session_retrieve)
        app.router.add_post("/v1/payment_intents", self.intents_create)
        app.router.add_post("/v1/refunds", self.refunds_create)
        app.router.add_get("/v1/{kind}/{id}", self.retrieve)
        app.router.add_get("/checkout/{id}", self.checkout_page)
        app.router.add_post("/checkout/{id}", self.checkout_submit)
        app.router.add_get("/checkout/{id}/authenticate", self.authenticate_page)
        app.router.add_post("/checkout/{id}/authenticate", self.authenticate_submit)
        app.router.add_get("/control", self.control_get)
        app.router.add_post("/control", self.control_post)
        app.router.add_get("/health", self.health)
        app.on_startup.append(self.on_startup)
        app.on_cleanup.append(self.on_cleanup)
        return app


def serve(*, port: int, secret_key: str, webhook_secret: str, webhook_url: str) -> None:
    processor = Processor(
        secret_key=secret_key,
        webhook_secret=webhook_secret,
        webhook_url=webhook_url,
        base=f"http://127.0.0.1:{port}",
    )
    web.run_app(
        processor.app(),
        host="127.0.0.1",
        port=port,
        access_log=None,  # the hosted page posts card numbers: nothing is logged
        print=None,
        handle_signals=True,
        shutdown_timeout=1.0,
    )
