"""A local stand-in for the parts of Twilio's REST API the product uses, for the official
``twilio`` client (``TWILIO_API_BASE_URL`` points every Twilio domain at it).

Served, on 127.0.0.1 in a thread of the calling process:
- Messages: ``POST /2010-04-01/Accounts/{AC}/Messages.json`` (To +15005550009 → 400 21614,
  +15005550429 → 429 20429, as Twilio's magic test numbers do);
- numbers: ``GET …/AvailablePhoneNumbers/US/Local.json?AreaCode=`` (area codes starting
  with 0 or 1 → 400 21451), ``GET|POST …/IncomingPhoneNumbers.json`` (list by PhoneNumber;
  buy: a number someone holds → 400 21422), ``POST|DELETE …/IncomingPhoneNumbers/{PN}.json``
  (update the webhook, release; unknown → 404 20404);
- messaging services (messaging.twilio.com): ``POST /v1/Services``,
  ``POST /v1/Services/{MG}/PhoneNumbers`` (already in this service → 409 21710, in another
  → 409 21712), ``DELETE /v1/Services/{MG}/PhoneNumbers/{PN}``.

Every request is kept in ``requests`` (path, method, auth header, form); ``fail_next`` makes
the next request answer a given status (a Twilio error body), for outages.
"""

import asyncio
import threading
import uuid

from aiohttp import web

from devtools.processes import free_port

FORM = web.RequestKey("form", dict)  # the request's form, read once by the middleware


def _sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def _error(status: int, code: int, message: str) -> web.Response:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return web.json_response(body, status=status)


class FakeTwilio:
    """Twilio's Messages, phone number and messaging service endpoints, in memory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[dict] = []
        self.owned: dict[str, dict] = {}  # PN sid -> incoming phone number
        self.services: dict[str, dict] = {}  # MG sid -> {"numbers": set of PN sids, ...}
        self.fail_next: list[int] = []  # statuses the next requests answer with
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    # --- helpers for tests -----------------------------------------------------------------
    def hold(self, e164: str, *, account: str = "ACother") -> str:
        """Put ``e164`` in an account (ours or someone else's) without a request."""
        sid = _sid("PN")
        self.owned[sid] = self._number(sid, e164, account, sms_url="")
        return sid

    def by_number(self, e164: str) -> dict | None:
        return next((n for n in self.owned.values() if n["phone_number"] == e164), None)

    def _number(self, sid: str, e164: str, account: str, *, sms_url: str) -> dict:
        return {
            "sid": sid,
            "account_sid": account,
            "phone_number": e164,
            "friendly_name": e164,
            "sms_url": sms_url,
            "sms_method": "POST",
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "uri": f"/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/{sid}.json",
        }

    # --- the server ---------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler):
        posted = await request.post() if request.method == "POST" else None
        form = dict(posted) if posted is not None else {}
        media = [str(u) for u in posted.getall("MediaUrl", [])] if posted is not None else []
        self.requests.append(
            {
                "path": request.path,
                "method": request.method,
                "query": dict(request.query),
                "auth": request.headers.get("Authorization", ""),
                **form,
                "MediaUrl": media,  # repeated once per file (MMS)
            }
        )
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _error(status, 20500 if status >= 500 else status, "Injected failure")
        request[FORM] = form
        return await handler(request)

    async def create_message(self, request: web.Request) -> web.Response:
        form = request[FORM]
        to = form.get("To", "")
        if to == "+15005550009":
            return _error(400, 21614, "'To' number is not a valid mobile number")
        if to == "+15005550429":
            return _error(429, 20429, "Too Many Requests")
        sid = f"SM{len(self.requests):032d}"
        account = request.match_info["sid"]
        return web.json_response(
            {
                "sid": sid,
                "account_sid": account,
                "to": to,
                "from": form.get("From"),
                "body": form.get("Body"),
                "status": "queued",
                "num_segments": "1",
                "direction": "outbound-api",
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            },
            status=201,
        )

    def _page(self, key: str, items: list[dict], request: web.Request) -> web.Response:
        return web.json_response(
            {
                key: items,
                "uri": request.path_qs,
                "page": 0,
                "page_size": max(len(items), 1),
                "first_page_uri": request.path_qs,
                "next_page_uri": None,
                "previous_page_uri": None,
                "start": 0,
                "end": max(len(items) - 1, 0),
            }
        )

    async def available(self, request: web.Request) -> web.Response:
        area = request.query.get("AreaCode", "")
        if not (len(area) == 3 and area.isdigit()) or area[0] in "01":
            return _error(400, 21451, "Invalid AreaCode")
        limit = int(request.query.get("PageSize") or 20)
        taken = {n["phone_number"] for n in self.owned.values()}
        free = [
            f"+1{area}555{i:04d}" for i in range(100, 200) if f"+1{area}555{i:04d}" not in taken
        ][:limit]
        items = [
            {
                "phone_number": e,
                "friendly_name": e,
                "iso_country": "US",
                "capabilities": {"voice": True, "SMS": True, "MMS": True},
            }
            for e in free
        ]
        return self._page("available_phone_numbers", items, request)

    async def incoming_list(self, request: web.Request) -> web.Response:
        account = request.match_info["sid"]
        wanted = request.query.get("PhoneNumber", "")
        items = [
            n
            for n in self.owned.values()
            if n["account_sid"] == account and (not wanted or n["phone_number"] == wanted)
        ]
        return self._page("incoming_phone_numbers", items, request)

    async def incoming_create(self, request: web.Request) -> web.Response:
        form = request[FORM]
        e164 = form.get("PhoneNumber", "")
        if self.by_number(e164) is not None or not e164.startswith("+1"):
            return _error(400, 21422, "PhoneNumber requested is not available")
        sid = _sid("PN")
        number = self._number(sid, e164, request.match_info["sid"], sms_url=form.get("SmsUrl", ""))
        self.owned[sid] = number
        return web.json_response(number, status=201)

    def _mine(self, request: web.Request) -> dict | None:
        number = self.owned.get(request.match_info["pn"])
        if number is None or number["account_sid"] != request.match_info["sid"]:
            return None
        return number

    async def incoming_update(self, request: web.Request) -> web.Response:
        number = self._mine(request)
        if number is None:
            return _error(404, 20404, "The requested resource was not found")
        form = request[FORM]
        for field, key in (("SmsUrl", "sms_url"), ("SmsMethod", "sms_method")):
            if field in form:
                number[key] = form[field]
        return web.json_response(number)

    async def incoming_delete(self, request: web.Request) -> web.Response:
        number = self._mine(request)
        if number is None:
            return _error(404, 20404, "The requested resource was not found")
        del self.owned[number["sid"]]
        for service in self.services.values():
            service["numbers"].discard(number["sid"])
        return web.Response(status=204)

    async def service_create(self, request: web.Request) -> web.Response:
        form = request[FORM]
        sid = _sid("MG")
        self.services[sid] = {
            "sid": sid,
            "friendly_name": form.get("FriendlyName", ""),
            "inbound_request_url": form.get("InboundRequestUrl", ""),
            "status_callback": form.get("StatusCallback", ""),
            "numbers": set(),
        }
        shown = {k: v for k, v in self.services[sid].items() if k != "numbers"}
        return web.json_response(shown, status=201)

    async def service_number_add(self, request: web.Request) -> web.Response:
        service = self.services.get(request.match_info["mg"])
        if service is None:
            return _error(404, 20404, "The requested resource was not found")
        pn = request[FORM].get("PhoneNumberSid", "")
        if pn not in self.owned:
            return _error(404, 20404, "The requested resource was not found")
        if pn in service["numbers"]:
            return _error(409, 21710, "Phone Number is already in the Messaging Service")
        if any(pn in s["numbers"] for s in self.services.values()):
            return _error(409, 21712, "Phone Number is associated with another Messaging Service")
        service["numbers"].add(pn)
        number = self.owned[pn]
        return web.json_response(
            {
                "sid": pn,
                "service_sid": service["sid"],
                "phone_number": number["phone_number"],
                "capabilities": ["SMS", "MMS"],
            },
            status=201,
        )

    async def service_number_delete(self, request: web.Request) -> web.Response:
        service = self.services.get(request.match_info["mg"])
        pn = request.match_info["pn"]
        if service is None or pn not in service["numbers"]:
            return _error(404, 20404, "The requested resource was not found")
        service["numbers"].discard(pn)
        return web.Response(status=204)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application(middlewares=[self._record])
        account = "/2010-04-01/Accounts/{sid}"
        app.router.add_post(f"{account}/Messages.json", self.create_message)
        app.router.add_get(f"{account}/AvailablePhoneNumbers/US/Local.json", self.available)
        app.router.add_get(f"{account}/IncomingPhoneNumbers.json", self.incoming_list)
        app.router.add_post(f"{account}/IncomingPhoneNumbers.json", self.incoming_create)
        app.router.add_post(f"{account}/IncomingPhoneNumbers/{{pn}}.json", self.incoming_update)
        app.router.add_delete(f"{account}/IncomingPhoneNumbers/{{pn}}.json", self.incoming_delete)
        app.router.add_post("/v1/Services", self.service_create)
        app.router.add_post("/v1/Services/{mg}/PhoneNumbers", self.service_number_add)
        app.router.add_delete("/v1/Services/{mg}/PhoneNumbers/{pn}", self.service_number_delete)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self.ready.set()
        self.loop.run_forever()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
