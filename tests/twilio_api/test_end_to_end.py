"""End to end with real components: the official twilio client creates a message on the
live server; a real Celery worker drains it to the simulated carrier over HTTP; the
carrier's signed receipt comes back to our webhook; the worker applies it and delivers the
StatusCallback, which the business validates with the twilio package's RequestValidator."""

import time

import pytest
from twilio.request_validator import RequestValidator

from messaging.models import Message
from messaging.twilio_api import formats
from messaging.twilio_api.models import TwilioCallback
from tests.messaging.conftest import celery_procs  # noqa: F401 - the fixture, shared

pytestmark = pytest.mark.django_db(transaction=True)
BODY = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out."


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_status_callback_after_a_real_send(
    tw,
    account,
    number,
    contact,
    receiver,
    carrier,
    live_server,
    settings,
    monkeypatch,
    celery_procs,  # noqa: F811 - the fixture imported above
):
    settings.CARRIER_URL = carrier.url
    settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    settings.MESSAGING_STATUS_CALLBACKS = True
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true")  # the worker's receiver
    carrier.control(callback_batch=1, callback_linger=0.05)
    celery_procs("worker", "tw1", concurrency=1)
    _, token = account
    url = f"{receiver.url}/twilio/status"

    created = tw.messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY, status_callback=url
    )
    message_uuid = formats.uuid_from_sid(created.sid)
    _wait(
        lambda: any(r["params"].get("MessageStatus") == "delivered" for r in receiver.requests),
        90,
        "the delivered StatusCallback",
    )
    # the carrier got exactly this text once, from this number
    landed = [e for e in carrier.audit() if e["message_id"] == str(message_uuid)]
    assert len(landed) == 1 and landed[0]["from"] == number.e164 and landed[0]["body"] == BODY
    assert Message.objects.get(uuid=message_uuid).status == Message.Status.DELIVERED
    (request,) = [r for r in receiver.requests if r["params"]["MessageStatus"] == "delivered"]
    assert request["params"]["MessageSid"] == created.sid
    assert RequestValidator(token).validate(
        url, request["params"], request["headers"]["X-Twilio-Signature"]
    )
    assert tw.messages(created.sid).fetch().status == "delivered"
    assert TwilioCallback.objects.filter(status=TwilioCallback.Status.SUCCEEDED).exists()
