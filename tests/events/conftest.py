"""A real HTTP receiver on loopback, an endpoint of the business subscribed to every event
type, and eager delivery after commit (the Celery task runs in the test's process)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema
import pytest

from accounts.events import catalog, services
from accounts.events.models import WebhookDelivery
from config.celery_app import app as celery_app


class Receiver:
    """Records every POST; answers 200 (or what ``answers`` says, in order)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a tenant's server does, written apart from our signer."""
    timestamp = headers["Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["Webhook-Signature"], "v1=" + expected.hexdigest())


class Hooks:
    """The business's endpoint and what reached it."""

    def __init__(self, receiver: Receiver, endpoint):
        self.receiver = receiver
        self.endpoint = endpoint

    def flush(self) -> None:
        """Deliver every pending event of the endpoint now (what the Celery task does
        after commit), over real HTTP to the receiver."""
        pending = WebhookDelivery.objects.filter(
            endpoint=self.endpoint, status=WebhookDelivery.Status.PENDING
        ).order_by("id")
        for delivery in pending:
            services.webhook_deliver(delivery_id=delivery.pk)

    def events(self, type_: str) -> list[dict]:
        """The envelopes of ``type_`` that arrived, each checked: signed with the endpoint's
        secret, headers matching the body, ``data`` valid against the documented schema."""
        found = []
        for request in self.receiver.requests:
            headers, body = request["headers"], request["body"]
            envelope = json.loads(body)
            if envelope["type"] != type_:
                continue
            assert verify(self.endpoint.secret, headers, body), "bad signature"
            assert headers["Webhook-Event"] == type_
            assert headers["Webhook-Id"] == envelope["id"]
            kind = catalog.get(type_)
            assert kind is not None
            jsonschema.validate(envelope["data"], kind.schema)
            found.append(envelope)
        return found

    def one(self, type_: str) -> dict:
        self.flush()
        found = self.events(type_)
        arrived = [json.loads(r["body"])["type"] for r in self.receiver.requests]
        assert len(found) == 1, (type_, arrived)
        return found[0]["data"]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def hooks(business, receiver, settings, eager):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on loopback
    endpoint = services.webhook_endpoint_create(
        business=business,
        url=receiver.url,
        events=[t.name for t in catalog.subscribable()],
    )
    return Hooks(receiver, endpoint)
