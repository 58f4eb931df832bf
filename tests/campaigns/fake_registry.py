"""A local HTTP server that speaks a CSP's 10DLC API (Telnyx-style paths, TCR field names).

It keeps brands and campaigns in memory, enforces ``referenceId`` uniqueness (409), checks
the bearer key (401), validates a few fields (400 with JSON-pointer sources), and injects
faults: an HTTP error for the next calls, or a delay *after* the object was stored (a
time-out that registered it anyway). It also signs status webhooks the way the CSP would.
"""

import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

REQUIRED_CAMPAIGN = ["brandId", "usecase", "description", "messageFlow", "sample1", "sample2"]


class FakeRegistry:
    def __init__(self, api_key: str = "test-registry-key"):
        self.api_key = api_key
        self.brands: dict[str, dict] = {}
        self.campaigns: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.faults: list[dict] = []  # each: {"method", "path", "status"|"delay", "times"}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- control ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v2"

    def start(self) -> "FakeRegistry":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, method: str, path: str, *, status=None, delay=None, times: int = 1) -> None:
        self.faults.append(
            {"method": method, "path": path, "status": status, "delay": delay, "times": times}
        )

    def set_campaign_status(self, campaign_id: str, status: str, reasons=None) -> None:
        self.campaigns[campaign_id]["campaignStatus"] = status
        self.campaigns[campaign_id]["failureReasons"] = [
            {"description": r} for r in (reasons or [])
        ]

    def calls(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p == path)

    @staticmethod
    def signed_headers(secret: str, body: bytes, timestamp: float | None = None) -> dict:
        ts = str(int(timestamp if timestamp is not None else time.time()))
        mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        return {"X-Registry-Timestamp": ts, "X-Registry-Signature": f"v1={mac}"}

    # --- HTTP ------------------------------------------------------------------------------

    def _fault_for(self, method: str, path: str) -> dict | None:
        with self._lock:
            for fault in self.faults:
                if fault["method"] == method and path.startswith(fault["path"]):
                    fault["times"] -= 1
                    if fault["times"] <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _handler(self):
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: dict | None = None) -> None:
                raw = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (time-out): the work is done anyway

            def _error(self, status: int, title: str, pointer: str = "", meta=None) -> None:
                err = {"code": str(10000 + status), "title": title, "detail": title}
                if pointer:
                    err["source"] = {"pointer": pointer}
                if meta:
                    err["meta"] = meta
                self._send(status, {"errors": [err]})

            def _dispatch(self, method: str) -> None:
                parsed = urlparse(self.path)
                path = parsed.path.removeprefix("/v2")
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                registry.requests.append((method, path, body))
                if self.headers.get("Authorization") != f"Bearer {registry.api_key}":
                    return self._error(401, "Authentication failed")
                fault = registry._fault_for(method, path)
                if fault and fault["status"]:
                    return self._error(fault["status"], "Injected failure")
                status, payload = registry.route(method, path, parse_qs(parsed.query), body)
                if fault and fault["delay"]:
                    time.sleep(fault["delay"])
                if status >= 400:
                    return self._error(status, **payload)
                return self._send(status, payload)

            def do_GET(self):
                self._dispatch("GET")

            def do_POST(self):
                self._dispatch("POST")

            def do_PUT(self):
                self._dispatch("PUT")

        return Handler

    def route(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        parts = [p for p in path.split("/") if p]
        ref = (query.get("referenceId") or [""])[0]
        with self._lock:
            if parts == ["10dlc", "brand"] and method == "POST":
                return self._brand_create(body)
            if parts == ["10dlc", "brand"] and method == "GET":
                found = [b for b in self.brands.values() if b["referenceId"] == ref]
                return 200, {"records": found}
            if parts[:2] == ["10dlc", "brand"] and len(parts) == 3 and method == "GET":
                brand = self.brands.get(parts[2])
                return (200, brand) if brand else (404, {"title": "Brand not found"})
            if parts == ["10dlc", "campaignBuilder"] and method == "POST":
                return self._campaign_create(body)
            if parts == ["10dlc", "campaign"] and method == "GET":
                found = [c for c in self.campaigns.values() if c["referenceId"] == ref]
                return 200, {"records": found}
            if parts[:2] == ["10dlc", "campaign"] and len(parts) >= 3:
                campaign = self.campaigns.get(parts[2])
                if campaign is None:
                    return 404, {"title": "Campaign not found"}
                if len(parts) == 3 and method == "GET":
                    return 200, campaign
                if len(parts) == 3 and method == "PUT":
                    allowed = {"sample1", "sample2", "sample3", "sample4", "sample5",
                               "helpMessage", "messageFlow", "autoRenewal"}  # fmt: skip
                    bad = sorted(set(body) - allowed)
                    if bad:
                        return 400, {"title": f"{bad[0]} is immutable", "pointer": f"/{bad[0]}"}
                    campaign.update(body)
                    return 200, campaign
                if parts[3:] == ["appeal"] and method == "POST":
                    if campaign["campaignStatus"] not in ("TCR_FAILED", "MNO_REJECTED"):
                        return 400, {"title": "Only rejected campaigns can be appealed"}
                    campaign["campaignStatus"] = "TCR_ACCEPTED"
                    campaign["appealReason"] = body.get("appealReason", "")
                    return 200, campaign
        return 404, {"title": "No such endpoint"}

    def _brand_create(self, body: dict) -> tuple[int, dict]:
        if any(b["referenceId"] == body.get("referenceId") for b in self.brands.values()):
            return 409, {"title": "Duplicate referenceId"}
        if not body.get("ein") and body.get("entityType") != "SOLE_PROPRIETOR":
            return 400, {"title": "EIN is required", "pointer": "/ein"}
        brand_id = f"B{next(self._ids):06d}"
        self.brands[brand_id] = {
            **body, "brandId": brand_id, "status": "OK", "identityStatus": "VERIFIED",
            "vettingScore": 75, "failureReasons": [],
        }  # fmt: skip
        return 200, self.brands[brand_id]

    def _campaign_create(self, body: dict) -> tuple[int, dict]:
        for existing in self.campaigns.values():
            if existing["referenceId"] == body.get("referenceId"):
                return 409, {
                    "title": "Duplicate referenceId",
                    "meta": {"campaignId": existing["campaignId"]},
                }
        for field in REQUIRED_CAMPAIGN:
            if not body.get(field):
                return 400, {"title": f"{field} is required", "pointer": f"/{field}"}
        if body["brandId"] not in self.brands:
            return 400, {"title": "Unknown brandId", "pointer": "/brandId"}
        if "http" not in body["messageFlow"]:
            # as real CSPs do: the call to action must be verifiable
            return 400, {
                "title": "messageFlow must include a URL where the call to action can be seen",
                "pointer": "/messageFlow",
            }
        campaign_id = f"C{next(self._ids):06d}"
        self.campaigns[campaign_id] = {
            **body, "campaignId": campaign_id, "campaignStatus": "TCR_PENDING",
            "failureReasons": [],
        }  # fmt: skip
        return 200, self.campaigns[campaign_id]
