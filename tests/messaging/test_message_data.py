"""``message_data`` (the send API's answer, written without the serializer: issue 18,
finding 9) is ``MessageSerializer``'s output for every kind of message: queued, blocked and
held with reasons (with and without detail), sent and failed, with a broadcast, without a
number or a contact, and what it hands to the serializer (media, reasons of another shape)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from messaging import services
from messaging.api.views.common import MessageSerializer, message_data
from messaging.models import Broadcast, Message
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

S = Message.Status
BODY = "Your appointment is tomorrow at 3pm. Reply STOP to opt out."


def _same(message):
    data = message_data(message)
    expected = MessageSerializer(message).data
    # the same JSON, byte for byte, key order included
    assert JSONRenderer().render(data) == JSONRenderer().render(expected)
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    return consenting_contact(business=business, number=number)


def test_sends_through_the_service_answer_as_the_serializer(business, number, contact):
    queued = services.message_enqueue(
        business=business, body=BODY, kind="transactional", contact=contact, from_number=number
    )
    assert _same(queued)["status"] == "QUEUED"
    blocked = services.message_enqueue(
        business=business, body=BODY, kind="marketing", to_phone="+16465550188",
        from_number=number,
    )  # fmt: skip
    out = _same(blocked)
    assert out["status"] == "BLOCKED" and out["reasons"] and out["outcome"]["reason"]
    keyed = services.message_enqueue(
        business=business, body=BODY, kind="transactional", to_phone="+16465550177",
        from_number=number, idempotency_key="k-1", send_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    assert _same(keyed)["idempotency_key"] == "k-1"


@pytest.mark.parametrize(
    "fields",
    [
        {"status": S.SENT, "sent_at": timezone.now(), "provider_id": "SM1", "attempts": 1},
        {"status": S.DELIVERED, "delivered_at": timezone.now(), "segments": 3},
        {"status": S.FAILED, "error_code": "30007", "error_message": "Filtered", "attempts": 2},
        {"status": S.HELD, "reasons": [{"gate": "policy", "code": "x", "message": "Held."}]},
        {
            "status": S.BLOCKED,
            "reasons": [
                {"gate": "consent", "code": "no_consent", "message": "No.", "detail": {"a": [1]}},
                {"gate": "number", "code": "n", "message": None, "extra": "ignored"},
            ],
        },
        {
            "status": S.SCHEDULED,
            "reasons": [
                {
                    "gate": "quiet_hours",
                    "code": "quiet_hours_deferred",
                    "message": "Later.",
                    "detail": {1: None},
                }
            ],
        },
        {"direction": Message.Direction.INBOUND, "from_number": None, "automated": False},
        {"contact": None, "kind": "marketing", "purpose": "double_opt_in"},
        # not plain text: the serializer writes these
        {"status": S.BLOCKED, "reasons": [{"gate": "consent", "code": "c"}]},
        {
            "status": S.BLOCKED,
            "reasons": [{"gate": "g", "code": "c", "message": "m", "detail": None}],
        },
    ],
)
def test_stored_messages_answer_as_the_serializer(business, number, contact, fields):
    values = {"business": business, "contact": contact, "from_number": number, **fields}
    message = MessageFactory(**values)
    if fields.get("reasons") == [{"gate": "consent", "code": "c"}]:
        with pytest.raises(KeyError):  # the serializer's own failure: the same one
            MessageSerializer(message).data  # noqa: B018
        with pytest.raises(KeyError):
            message_data(message)
        return
    _same(message)
    _same(Message.objects.get(pk=message.pk))  # read back: nothing loaded yet


def test_a_broadcast_message_names_its_broadcast(business, number, contact):
    broadcast = Broadcast.objects.create(
        business=business, name="Spring", body=BODY, kind="marketing", from_number=number
    )
    message = MessageFactory(business=business, contact=contact, broadcast=broadcast)
    assert _same(message)["broadcast"] == str(broadcast.uuid)
    assert uuid.UUID(_same(Message.objects.get(pk=message.pk))["uuid"]) == message.uuid


@pytest.mark.parametrize("zone", ["America/Chicago", "Asia/Kolkata"])
def test_times_are_written_in_the_current_zone_as_the_serializer_writes_them(
    business, number, contact, zone
):
    """DRF writes each time in the zone current for the request (UTC in the API): the answer
    looks it up once for all its times, with the same outcome in any zone."""
    now = timezone.now()
    message = MessageFactory(
        business=business, contact=contact, from_number=number, sent_at=now, queued_at=now
    )
    with timezone.override(zone):
        out = _same(message)
    assert not out["sent_at"].endswith("Z")  # an offset, not UTC's Z
    assert _same(message)["sent_at"].endswith("Z")


def test_the_api_s_time_format_is_the_serializer_s(business, number, contact, settings):
    message = MessageFactory(business=business, contact=contact, from_number=number)
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DATETIME_FORMAT": "%Y-%m-%d %H:%M"}
    assert len(_same(message)["created_at"]) == len("2026-01-01 00:00")
