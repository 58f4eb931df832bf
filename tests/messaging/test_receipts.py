"""Delivery receipts: the carrier batches them, the signed webhook stores a batch with one
INSERT (all or nothing), a real Celery worker applies them; statuses only move forward."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from accounts.events.models import WebhookDelivery, WebhookEndpoint
from messaging import receipts, services
from messaging.models import Message, StatusCallback
from messaging.providers import signing
from policies.models import RiskCounter
from tests.factories.messaging import MessageFactory, sending_number

S = Message.Status
URL = "/webhooks/carrier/status/"


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _sent(business, number, n: int) -> list[Message]:
    return [
        MessageFactory(
            business=business,
            from_number=number,
            status=S.SENT,
            provider="simulated",
            provider_id=f"SM{uuid.uuid4().hex}",
            sent_at=timezone.now(),
        )
        for _ in range(n)
    ]


def _receipt(m: Message, status: str = "delivered", **extra) -> dict:
    return {"id": m.provider_id, "message_id": str(m.uuid), "status": status, **extra}


def _headers(body: bytes, *, ts: str | None = None, secret: bytes | None = None) -> dict:
    ts = ts or f"{time.time():.6f}"
    return {
        "HTTP_X_CARRIER_TIMESTAMP": ts,
        "HTTP_X_CARRIER_SIGNATURE": signing.sign(secret or signing.carrier_secret(), ts, body),
    }


def _post(client, payload, **signed):
    body = json.dumps(payload).encode()
    return client.post(URL, data=body, content_type="application/json", **_headers(body, **signed))


@pytest.fixture
def no_apply(monkeypatch):
    monkeypatch.setattr("messaging.provider_webhooks._schedule_apply", lambda: None)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# --- parsing (pure) -----------------------------------------------------------------------------


def test_parse_single_and_batch():
    u = uuid.uuid4()
    one = receipts.receipts_parse({"id": "SM1", "message_id": str(u), "status": "delivered"})
    assert one == [receipts.Receipt("delivered", u, "SM1", "")]
    many = receipts.receipts_parse(
        {"receipts": [{"id": "SM2", "status": "undelivered", "error_code": 30003}] * 3}
    )
    assert many == [receipts.Receipt("undelivered", None, "SM2", "30003")] * 3


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ([], set()),
        ("x", set()),
        ({"receipts": "x"}, {"receipts"}),
        ({"receipts": []}, {"receipts"}),
        ({"receipts": [{"id": "a", "status": "sent"}] * 1001}, {"receipts"}),
        ({"id": "SM1"}, {"status"}),
        ({"status": "sent"}, {"id"}),
        ({"message_id": "nope", "status": "sent"}, {"message_id"}),
        ({"id": "SM1", "status": ["sent"]}, {"status"}),
        ({"id": "S" * 65, "status": "sent"}, {"id"}),
    ],
)
def test_parse_refuses_malformed(data, fields):
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        receipts.receipts_parse(data)
    assert set(caught.value.fields) == fields


# --- the webhook --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_webhook_stores_a_batch_with_one_insert(
    client, business, number, no_apply, django_assert_max_num_queries
):
    msgs = _sent(business, number, 5)
    with django_assert_max_num_queries(1):
        response = _post(client, {"receipts": [_receipt(m) for m in msgs]})
    assert response.status_code == 204
    assert set(StatusCallback.objects.values_list("message_uuid", flat=True)) == {
        m.uuid for m in msgs
    }


@pytest.mark.django_db
def test_malformed_batch_is_refused_and_nothing_stored(client, business, number, no_apply):
    good = _sent(business, number, 2)
    batch = [
        _receipt(good[0]),
        {"id": "SM1"},  # no status
        "not an object",
        {"id": "SM2", "message_id": "not-a-uuid", "status": "delivered"},
        _receipt(good[1]),
    ]
    response = _post(client, {"receipts": batch})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {
        "receipts.1.status",
        "receipts.2",
        "receipts.3.message_id",
    }
    assert [i["index"] for i in error["detail"]["invalid"]] == [1, 2, 3]
    assert error["detail"]["stored"] == 0 and error["detail"]["received"] == 5
    assert not StatusCallback.objects.exists()


@pytest.mark.django_db
def test_single_receipt_form_still_works(client, business, number, no_apply):
    (m,) = _sent(business, number, 1)
    assert _post(client, _receipt(m, "undelivered", error_code="30003")).status_code == 204
    assert services.status_callbacks_apply() == 1
    m.refresh_from_db()
    assert m.status == S.UNDELIVERED and m.error_code == "30003"


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["unsigned", "wrong_secret", "stale", "body_changed"])
def test_unsigned_or_forged_batch_is_refused(client, business, number, no_apply, tamper):
    msgs = _sent(business, number, 3)
    body = json.dumps({"receipts": [_receipt(m) for m in msgs]}).encode()
    headers = {
        "unsigned": {},
        "wrong_secret": _headers(body, secret=b"not-the-secret"),
        "stale": _headers(body, ts=f"{time.time() - 3600:.3f}"),
        "body_changed": _headers(body.replace(b"delivered", b"undelivered", 1)),
    }[tamper]
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not StatusCallback.objects.exists()


@pytest.mark.django_db
def test_replayed_request_is_refused(client, business, number, no_apply):
    msgs = _sent(business, number, 3)
    body = json.dumps({"receipts": [_receipt(m) for m in msgs]}).encode()
    headers = _headers(body)
    first = client.post(URL, data=body, content_type="application/json", **headers)
    again = client.post(URL, data=body, content_type="application/json", **headers)
    assert first.status_code == 204
    assert again.status_code == 403 and again.json()["error"]["code"] == "replayed"
    assert StatusCallback.objects.count() == 3


@pytest.mark.django_db
def test_oversized_request_is_refused_before_reading(client, no_apply):
    body = b" " * (receipts.MAX_BODY + 1)
    response = client.post(URL, data=body, content_type="application/json", **_headers(body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


# --- apply --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_out_of_order_and_duplicate_receipts(business, number):
    a, b, c, d = _sent(business, number, 4)
    Message.objects.filter(pk=d.pk).update(status=S.SENDING)
    batch = [
        _receipt(a, "delivered"),
        _receipt(a, "sent"),  # late: never back
        _receipt(a, "delivered"),  # duplicate
        _receipt(b, "undelivered", error_code="30007"),
        _receipt(b, "delivered"),  # a final status is final
        _receipt(c, "queued"),  # a status we do not track: ignored
        {"id": d.provider_id, "status": "sent"},  # by provider id only (Twilio-like)
        {"id": d.provider_id, "status": "delivered"},
        {"id": "SMunknown", "status": "delivered"},  # not ours
    ]
    receipts.receipts_store(
        provider="simulated", receipts=receipts.receipts_parse({"receipts": batch})
    )
    result = receipts.receipts_apply()
    assert result == receipts.Applied(taken=9, applied=4)
    got = dict(Message.objects.values_list("pk", "status"))
    assert got == {a.pk: S.DELIVERED, b.pk: S.UNDELIVERED, c.pk: S.SENT, d.pk: S.DELIVERED}
    b.refresh_from_db()
    assert b.error_code == "30007"
    # a late "sent" in a later batch does not move anything back either
    receipts.receipts_store(provider="simulated", receipts=[receipts.Receipt("sent", a.uuid)])
    assert receipts.receipts_apply() == receipts.Applied(taken=1, applied=0)
    assert Message.objects.get(pk=a.pk).status == S.DELIVERED
    assert not StatusCallback.objects.exists()
    today = RiskCounter.objects.get(business=business, day=timezone.localdate())
    assert (today.delivered, today.carrier_filtered) == (2, 1)


@pytest.mark.django_db
def test_many_receipts_apply_in_batches_with_bounded_queries(
    business, number, django_assert_max_num_queries
):
    endpoint = WebhookEndpoint.objects.create(
        business=business, url="https://hooks.example.com/x", events=["message.status"], secret="s"
    )
    msgs = Message.objects.bulk_create(
        [
            Message(
                business=business,
                direction="outbound",
                from_number=number,
                to_phone=f"+1646700{i:04d}",
                body="x",
                kind="transactional",
                status=S.SENT,
                provider="simulated",
                provider_id=f"SM{i:06d}",
            )
            for i in range(2500)
        ]
    )
    stored = [
        receipts.Receipt(s, m.uuid, m.provider_id) for m in msgs for s in ("sent", "delivered")
    ]
    for i in range(0, len(stored), 1000):
        receipts.receipts_store(provider="simulated", receipts=stored[i : i + 1000])
    # one batch: lock receipts, lock messages, one UPDATE, endpoints, deliveries, delete,
    # savepoint bookkeeping and the outcome report: a constant, whatever the batch size
    with django_assert_max_num_queries(15):
        first = receipts.receipts_apply(limit=2000)
    assert first.taken == 2000
    assert receipts.receipts_apply_all() + first.applied == 2500  # "sent" changes nothing
    assert Message.objects.filter(pk__in=[m.pk for m in msgs], status=S.DELIVERED).count() == 2500
    assert WebhookDelivery.objects.filter(endpoint=endpoint, event="message.status").count() == 2500
    assert not StatusCallback.objects.exists()


# --- from the real carrier, applied by a real worker --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_carrier_batches_receipts_into_the_webhook_and_a_worker_applies_them(
    business, number, carrier, live_server, celery_procs
):
    msgs = _sent(business, number, 25)
    Message.objects.filter(pk=msgs[0].pk).update(to_phone="+16465550199")
    carrier.control(callback_batch=10, callback_linger=0.2, undeliverable=["+16465550199"])
    celery_procs("worker", "w1", concurrency=1)
    callback = f"{live_server.url}{reverse('messaging:webhook-carrier-status')}"
    with requests.Session() as http:
        for m in Message.objects.filter(pk__in=[x.pk for x in msgs]):
            payload = {
                "from": number.e164,
                "to": m.to_phone,
                "body": m.body,
                "idempotency_key": str(m.uuid),
                "status_callback": callback,
            }
            assert http.post(f"{carrier.url}/v1/messages", json=payload, timeout=5).ok
    _wait(lambda: carrier.state()["pending_callbacks"] == 0, 30, "every receipt posted")
    counters = carrier.state()["counters"]
    assert counters["receipts"] == counters["callbacks"] == 25
    assert counters["callback_requests"] == 3  # 10 + 10 + 5 (the last after the linger)
    assert counters["callback_errors"] == 0
    ids = [m.pk for m in msgs]
    _wait(
        lambda: not Message.objects.filter(pk__in=ids, status=S.SENT).exists(),
        60,
        "every receipt applied by the worker",
    )
    got = dict(Message.objects.filter(pk__in=ids).values_list("pk", "status"))
    assert got == {m.pk: (S.UNDELIVERED if m == msgs[0] else S.DELIVERED) for m in msgs}
    assert Message.objects.get(pk=msgs[0].pk).error_code == "30003"


@pytest.mark.django_db(transaction=True)
def test_carrier_single_receipt_form_and_hold(business, number, carrier, live_server):
    msgs = _sent(business, number, 3)
    carrier.control(callback_batch=1, callback_hold=True)
    callback = f"{live_server.url}{URL}"
    for m in msgs:
        payload = {"from": number.e164, "to": m.to_phone, "body": "x"}
        payload |= {"idempotency_key": str(m.uuid), "status_callback": callback}
        assert requests.post(f"{carrier.url}/v1/messages", json=payload, timeout=5).ok
    state = carrier.state()
    assert state["held_callbacks"] == 3 and state["pending_callbacks"] == 3
    assert not StatusCallback.objects.exists()
    carrier.control(callback_hold=False)
    _wait(lambda: carrier.state()["pending_callbacks"] == 0, 30, "the held receipts posted")
    counters = carrier.state()["counters"]
    assert counters["callbacks"] == counters["callback_requests"] == 3
    assert StatusCallback.objects.count() == 3


class FlakyReceiver:
    """A receiver on loopback that answers the first ``failures`` requests with 503 (then
    204) and records every receipt it took."""

    def __init__(self, *, failures: int, status_after: int = 204) -> None:
        self.failures, self.status_after = failures, status_after
        self.requests = 0
        self.taken: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests += 1
                status = 503 if outer.requests <= outer.failures else outer.status_after
                if status == 204:
                    outer.taken += body.get("receipts", [body])
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/status"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(("status_after", "taken"), [(204, 12), (400, 0)])
def test_carrier_retries_failures_and_never_loses_a_receipt(carrier, status_after, taken):
    receiver = FlakyReceiver(failures=3, status_after=status_after)
    try:
        carrier.control(callback_batch=5, callback_linger=0.1)
        for i in range(12):
            payload = {"from": "+13125550100", "to": f"+1646555{i:04d}", "body": "x"}
            payload |= {"idempotency_key": str(uuid.uuid4()), "status_callback": receiver.url}
            assert requests.post(f"{carrier.url}/v1/messages", json=payload, timeout=5).ok
        _wait(lambda: carrier.state()["pending_callbacks"] == 0, 30, "every receipt settled")
        counters = carrier.state()["counters"]
        assert counters["callback_retries"] >= 3
        # every receipt is counted once: taken, or refused for good (400 is not retried)
        assert counters["callbacks"] == len(receiver.taken) == taken
        assert counters["callback_errors"] == 12 - taken
        assert len({r["message_id"] for r in receiver.taken}) == taken
    finally:
        receiver.close()
