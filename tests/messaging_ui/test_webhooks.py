"""Outbound tenant webhooks against a real HTTP receiver on loopback: the signature,
retries with backoff, giving up, endpoint rules, and the API for endpoints."""

import hashlib
import hmac
import json
import queue
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from accounts.events.models import WebhookDelivery, WebhookEndpoint
from config.celery_app import app as celery_app
from messaging import tenant_webhooks as wh

pytestmark = pytest.mark.django_db


class Receiver:
    """A loopback HTTP server that records requests and answers with queued statuses."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: queue.Queue = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                try:
                    status = receiver.answers.get_nowait()
                except queue.Empty:
                    status = 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # tests only reach loopback


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _endpoint(business, url, events=("message.status", "message.inbound")):
    return wh.webhook_endpoint_create(business=business, url=url, events=list(events))


def _verify_like_a_receiver(secret: str, headers: dict, body: bytes) -> bool:
    """Written independently of the signer, as a tenant would."""
    timestamp = headers["Webhook-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(headers["Webhook-Signature"], "v1=" + expected.hexdigest())


def test_a_delivery_is_signed_and_verifiable(business, receiver, loopback):
    endpoint = _endpoint(business, receiver.url)
    [delivery] = wh.webhook_emit(
        business=business,
        event="message.status",
        payload={"message": "abc", "status": "DELIVERED"},
    )
    wh.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.attempts == 1
    assert delivery.response_status == 200 and delivery.delivered_at is not None

    [req] = receiver.requests
    headers, body = req["headers"], req["body"]
    assert _verify_like_a_receiver(endpoint.secret, headers, body)
    assert not _verify_like_a_receiver("whsec_wrong", headers, body)
    assert not _verify_like_a_receiver(endpoint.secret, headers, body + b" ")
    assert abs(int(headers["Webhook-Timestamp"]) - time.time()) < 30
    assert headers["Webhook-Id"] == str(delivery.event_id)
    assert headers["Webhook-Event"] == "message.status"
    envelope = json.loads(body)
    assert envelope["id"] == str(delivery.event_id) and envelope["type"] == "message.status"
    assert envelope["data"] == {"message": "abc", "status": "DELIVERED"}
    assert wh.webhook_verify(
        secret=endpoint.secret,
        timestamp=headers["Webhook-Timestamp"],
        signature=headers["Webhook-Signature"],
        body=body,
    )


def test_verify_rejects_old_timestamps():
    body = b"{}"
    old = str(int(time.time()) - 3600)
    signature = wh.webhook_signature(secret="s", timestamp=old, body=body)
    assert not wh.webhook_verify(secret="s", timestamp=old, signature=signature, body=body)
    assert not wh.webhook_verify(secret="s", timestamp="x", signature=signature, body=body)


def test_failures_are_retried_with_backoff_until_delivered(
    business, receiver, loopback, eager, django_capture_on_commit_callbacks
):
    endpoint = _endpoint(business, receiver.url)
    receiver.answers.put(500)
    receiver.answers.put(503)
    with django_capture_on_commit_callbacks(execute=True):
        [delivery] = wh.webhook_emit(
            business=business, event="message.inbound", payload={"body": "hi"}
        )
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempts == 3 and delivery.response_status == 200
    assert len(receiver.requests) == 3
    ids = {r["headers"]["Webhook-Id"] for r in receiver.requests}
    assert ids == {str(delivery.event_id)}  # the same event id on every retry
    assert all(
        _verify_like_a_receiver(endpoint.secret, r["headers"], r["body"]) for r in receiver.requests
    )


def test_a_failed_attempt_schedules_the_next_with_growing_delay(
    business, receiver, loopback, settings
):
    settings.WEBHOOK_RETRY_BASE = 30.0
    _endpoint(business, receiver.url)
    [delivery] = wh.webhook_emit(business=business, event="message.status", payload={})
    delays = []
    for _ in range(3):
        receiver.answers.put(500)
        before = timezone.now()
        wh.webhook_deliver(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        assert delivery.status == WebhookDelivery.Status.RETRYING
        assert delivery.response_status == 500 and delivery.last_error == "HTTP 500"
        delays.append((delivery.next_attempt_at - before).total_seconds())
    assert [round(d) for d in delays] == [30, 60, 120]
    assert wh.retry_delay(20) == 3600.0  # capped


def test_gives_up_after_the_last_attempt(business, receiver, loopback, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    _endpoint(business, receiver.url)
    [delivery] = wh.webhook_emit(business=business, event="message.status", payload={})
    for _ in range(2):
        receiver.answers.put(500)
        wh.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.attempts == 2
    assert delivery.next_attempt_at is None
    assert wh.webhook_deliver(delivery_id=delivery.pk) is None  # final: nothing more
    assert len(receiver.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_an_attempt_locks_its_delivery_not_the_endpoint(business, receiver, loopback):
    # an attempt in flight held the endpoint row too (SELECT ... FOR UPDATE over the join),
    # so a second delivery to the same endpoint was skipped (SKIP LOCKED) until the beat's
    # recovery a minute later; now only the delivery row is locked
    endpoint = _endpoint(business, receiver.url)
    [first] = wh.webhook_emit(business=business, event="message.status", payload={"n": 1})
    [second] = wh.webhook_emit(business=business, event="message.status", payload={"n": 2})
    held, release = threading.Event(), threading.Event()

    def in_flight():  # another worker, its own connection, mid-attempt on the first
        from django.db import connection, transaction

        with transaction.atomic():
            WebhookDelivery.objects.select_for_update().filter(pk=first.pk).get()
            WebhookEndpoint.objects.select_for_update().filter(pk=endpoint.pk).get()
            held.set()
            release.wait(30)
        connection.close()

    worker = threading.Thread(target=in_flight)
    worker.start()
    try:
        assert held.wait(30)
        assert wh.webhook_deliver(delivery_id=first.pk) is None  # that one is held
        delivered = wh.webhook_deliver(delivery_id=second.pk)
        assert delivered is not None
        assert delivered.status == WebhookDelivery.Status.SUCCEEDED
    finally:
        release.set()
        worker.join(30)
    assert len(receiver.requests) == 1


def test_network_errors_are_retried(business, loopback):
    closed = Receiver()
    url = closed.url
    closed.close()  # nothing listens there any more
    _endpoint(business, url)
    [delivery] = wh.webhook_emit(business=business, event="message.status", payload={})
    wh.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert delivery.response_status is None and "ConnectionError" in delivery.last_error


def test_emit_reaches_only_subscribed_active_endpoints_of_the_business(
    business, other_business, receiver, loopback, django_assert_num_queries
):
    status_only = _endpoint(business, receiver.url, events=["message.status"])
    both = _endpoint(business, receiver.url + "/2")
    paused = _endpoint(business, receiver.url + "/3")
    wh.webhook_endpoint_update(endpoint=paused, is_active=False)
    theirs = _endpoint(other_business, receiver.url + "/4")
    with django_assert_num_queries(2):  # endpoints of all the businesses, one INSERT
        created = wh.webhook_emit_many(
            events=[
                (business.pk, "message.status", {"n": 1}),
                (business.pk, "message.inbound", {"n": 2}),
                (other_business.pk, "message.inbound", {"n": 3}),
            ]
        )
    got = sorted((d.endpoint_id, d.event) for d in created)
    assert got == sorted(
        [
            (status_only.pk, "message.status"),
            (both.pk, "message.status"),
            (both.pk, "message.inbound"),
            (theirs.pk, "message.inbound"),
        ]
    )
    assert wh.webhook_emit(business=business, event="message.status", payload={}) != []
    with pytest.raises(ValueError):
        wh.webhook_emit(business=business, event="message.nope", payload={})


def test_emit_without_endpoints_is_one_query_then_none(business, django_assert_num_queries):
    with django_assert_num_queries(1):  # the first in this process reads the endpoints
        assert wh.webhook_emit(business=business, event="message.status", payload={}) == []
    with django_assert_num_queries(0):  # then known (accounts.events.subscriptions)
        assert wh.webhook_emit(business=business, event="message.status", payload={}) == []
        assert wh.webhook_emit(business=business, event="message.inbound", payload={}) == []


def test_overdue_deliveries_are_requeued(business, receiver, loopback, eager):
    _endpoint(business, receiver.url)
    [delivery] = wh.webhook_emit(business=business, event="message.status", payload={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert wh.webhook_retry_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED


@pytest.mark.parametrize(
    "url, problem",
    [
        ("ftp://example.com/x", "http or https"),
        ("https://user:pw@example.com/x", "passwords"),
        ("http://hooks.example.com/x", "Use https."),
        ("https://127.0.0.1/x", "private or reserved network"),
        ("https://localhost/x", "private or reserved network"),
    ],
)
def test_endpoint_urls_are_checked(business, settings, url, problem):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        wh.webhook_endpoint_create(business=business, url=url, events=["message.status"])
    assert problem in exc.value.fields["url"][0]


def test_a_disabled_endpoint_fails_its_pending_delivery(business, receiver, loopback):
    endpoint = _endpoint(business, receiver.url)
    [delivery] = wh.webhook_emit(business=business, event="message.status", payload={})
    wh.webhook_endpoint_update(endpoint=endpoint, is_active=False)
    wh.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.last_error == "Endpoint disabled." and receiver.requests == []


# --- API -----------------------------------------------------------------------------------------


def test_webhook_api(api_client, other_api_client, receiver, loopback):
    created = api_client.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["message.status"], "description": "CRM"},
        format="json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    endpoint = WebhookEndpoint.objects.get(uuid=data["uuid"])
    assert data["secret"] == endpoint.secret and data["secret"].startswith("whsec_")
    listed = api_client.get("/api/v1/webhooks/").json()["results"]
    assert [e["uuid"] for e in listed] == [data["uuid"]] and "secret" not in listed[0]

    wh.webhook_deliver(delivery_id=wh.webhook_send_test(endpoint=endpoint).pk)
    log = api_client.get(f"/api/v1/webhooks/{data['uuid']}/deliveries/").json()["results"]
    assert log[0]["status"] == "SUCCEEDED" and log[0]["attempts"] == 1

    assert other_api_client.get(f"/api/v1/webhooks/{data['uuid']}/deliveries/").status_code == 404
    assert other_api_client.delete(f"/api/v1/webhooks/{data['uuid']}/").status_code == 404
    assert api_client.delete(f"/api/v1/webhooks/{data['uuid']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"url": "https://x.example.com", "events": []}, "events"),
        ({"url": "https://x.example.com", "events": ["message.nope"]}, "events.0"),
        ({"url": "not a url", "events": ["message.status"]}, "url"),
    ],
)
def test_webhook_api_bad_input(api_client, payload, field):
    response = api_client.post("/api/v1/webhooks/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_event_helpers_shape_the_payloads(business, receiver, loopback):
    from tests.factories.messaging import MessageFactory, sending_number

    number = sending_number(business=business)
    _endpoint(business, receiver.url)
    sent = MessageFactory(business=business, from_number=number, status="DELIVERED")
    got = MessageFactory(
        business=business, from_number=number, direction="inbound", status="RECEIVED", body="YES"
    )
    created = wh.webhook_emit_many(
        events=[wh.message_status_event(sent), wh.message_inbound_event(got, keyword="confirm")]
    )
    for delivery in created:
        wh.webhook_deliver(delivery_id=delivery.pk)
    bodies = {
        json.loads(r["body"])["type"]: json.loads(r["body"])["data"] for r in receiver.requests
    }
    assert bodies["message.status"]["status"] == "DELIVERED"
    assert bodies["message.status"]["message"] == str(sent.uuid)
    received = bodies["message.inbound"].pop("received_at")
    assert received[:19] == got.created_at.isoformat()[:19]
    assert bodies["message.inbound"] == {
        "message": str(got.uuid),
        "from": got.to_phone,
        "to": number.e164,
        "body": "YES",
        "contact": None,
        "keyword": "confirm",
    }


def _route_webhooks_to(queue_name: str | None) -> None:
    celery_app.conf.task_routes = (
        {"events.webhooks.*": {"queue": queue_name}} if queue_name else None
    )
    # Celery builds its router once, on the first send: rebuild it with these routes.
    celery_app.amqp.flush_routes()
    celery_app.amqp.__dict__.pop("router", None)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_delivers_and_retries(business, receiver, settings):
    """Emit in a committed transaction; a worker process (its own queue, so no other
    worker takes the task) fails once against the receiver, backs off and delivers."""
    import os
    import subprocess
    import sys
    import uuid
    from pathlib import Path

    from django.db import connection, transaction

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    queue_name = f"msgui-webhooks-{uuid.uuid4().hex[:8]}"
    assert celery_app.amqp.router is not None  # as after earlier sends in a full run
    _route_webhooks_to(queue_name)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.messaging_ui.worker_settings",
        "WORKER_DB_NAME": connection.settings_dict["NAME"],
        "WORKER_QUEUE": queue_name,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            f"--queues={queue_name}",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        start_new_session=True,
    )
    try:
        endpoint = _endpoint(business, receiver.url)
        receiver.answers.put(502)
        with transaction.atomic():
            [delivery] = wh.webhook_emit(
                business=business, event="message.status", payload={"status": "SENT"}
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            delivery.refresh_from_db()
            if delivery.status == WebhookDelivery.Status.SUCCEEDED:
                break
            time.sleep(0.2)
        assert delivery.status == WebhookDelivery.Status.SUCCEEDED, delivery.last_error
        assert delivery.attempts == 2 and len(receiver.requests) == 2
        assert all(
            _verify_like_a_receiver(endpoint.secret, r["headers"], r["body"])
            for r in receiver.requests
        )
    finally:
        _route_webhooks_to(None)
        worker.terminate()
        worker.wait(timeout=20)
