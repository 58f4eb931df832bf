"""The Celery tasks' bodies, called in-process as a worker calls them (ids in, services out).

tests/messaging/test_worker.py runs them in real workers; this file checks that each task
reaches its service with the right arguments.
"""

import json
import time
import uuid

import pytest
from django.utils import timezone

from messaging import services, tasks
from messaging.models import Broadcast, Message
from messaging.providers import _cache, get_provider, signing
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def number(business):
    return sending_number(business=business)


def test_drain_number_sends_the_queued_message(business, number, carrier, settings, monkeypatch):
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    monkeypatch.setattr("messaging.tasks.drain_number.delay", lambda *a: None)
    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    contact = consenting_contact(business=business, number=number)
    message = services.message_enqueue(
        business=business,
        body="Your visit is at 3pm. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    tasks.drain_number(number.pk)
    message.refresh_from_db()
    assert message.status == S.SENT and message.provider_id


def test_recover_requeues_a_claim_whose_worker_died(business, number, settings, monkeypatch):
    monkeypatch.setattr("messaging.tasks.drain_number.delay", lambda *a: None)
    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    stuck = MessageFactory(
        business=business, from_number=number, status=S.SENDING, claimed_at=long_ago
    )
    assert isinstance(tasks.recover(), dict)
    stuck.refresh_from_db()
    assert stuck.status == S.QUEUED


def test_apply_status_callbacks_moves_a_sent_message(client, business, number, monkeypatch):
    monkeypatch.setattr("messaging.provider_webhooks._schedule_apply", lambda: None)
    message = MessageFactory(
        business=business, from_number=number, status=S.SENT, provider="simulated",
        provider_id=f"SM{uuid.uuid4().hex}", sent_at=timezone.now(),
    )  # fmt: skip
    body = json.dumps(
        {"id": message.provider_id, "message_id": str(message.uuid), "status": "delivered"}
    ).encode()
    ts = f"{time.time():.6f}"
    client.post(
        "/webhooks/carrier/status/", data=body, content_type="application/json",
        HTTP_X_CARRIER_TIMESTAMP=ts,
        HTTP_X_CARRIER_SIGNATURE=signing.sign(signing.carrier_secret(), ts, body),
    )  # fmt: skip
    assert tasks.apply_status_callbacks() == 1
    message.refresh_from_db()
    assert message.status == S.DELIVERED


def test_broadcast_start_fans_out_by_id(business, number):
    contact = consenting_contact(business=business, number=number, tags=["patients"])
    broadcast = services.broadcast_create(
        business=business,
        name="Hours",
        body="We open at 9 tomorrow. Reply STOP to opt out.",
        kind="transactional",
        from_number=number,
        tags=["patients"],
    )
    tasks.broadcast_start(broadcast.pk)
    broadcast.refresh_from_db()
    assert broadcast.status != Broadcast.Status.DRAFT
    assert Message.objects.filter(broadcast=broadcast, contact=contact).count() == 1


def test_get_provider_builds_each_provider_once_and_refuses_unknown(monkeypatch):
    monkeypatch.setattr("messaging.providers._cache", {})
    simulated = get_provider("simulated")
    assert isinstance(simulated, SimulatedCarrier) and get_provider("simulated") is simulated
    twilio = get_provider("twilio")
    assert type(twilio).__name__ == "TwilioProvider" and get_provider("twilio") is twilio
    with pytest.raises(ValueError, match="unknown MESSAGING_PROVIDER 'pigeon'"):
        get_provider("pigeon")
