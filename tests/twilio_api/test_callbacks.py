"""Callbacks as Twilio sends them: status callbacks to a message's StatusCallback and
inbound texts forwarded to the business's URL, form-encoded and signed with the auth
token (checked with the twilio package's RequestValidator, as a business's code would);
a TwiML <Message> answer becomes a reply through the gates; URLs are SSRF-checked."""

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from messaging import services as messaging_services
from messaging.models import Message
from messaging.twilio_api import formats
from messaging.twilio_api import services as twilio_services
from messaging.twilio_api.models import TwilioCallback

pytestmark = pytest.mark.django_db(transaction=True)
BODY = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out."


def _deliver_all() -> list[TwilioCallback]:
    """What the worker's task does, for every callback waiting."""
    pending = TwilioCallback.objects.filter(status=TwilioCallback.Status.PENDING).order_by("id")
    return [twilio_services.twilio_callback_deliver(callback_id=c.pk) for c in pending]


def _receipt(message: Message, status: str, error_code: str = "") -> None:
    """The carrier's receipt, through the real receipt path (stored, then applied)."""
    messaging_services.status_callback_store(
        provider="simulated", status=status, message_uuid=message.uuid, error_code=error_code
    )
    messaging_services.status_callbacks_apply()


def test_status_callbacks_are_signed_with_the_auth_token(
    tw, account, number, contact, receiver, business
):
    _, token = account
    url = f"{receiver.url}/status?source=crm"
    created = tw.messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY, status_callback=url
    )
    message = Message.objects.get(uuid=formats.uuid_from_sid(created.sid))
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENT, provider_id="c-1")
    _receipt(message, "delivered")
    (callback,) = _deliver_all()
    assert callback.status == TwilioCallback.Status.SUCCEEDED and callback.attempts == 1
    (request,) = receiver.requests
    params = request["params"]
    assert params["MessageSid"] == params["SmsSid"] == created.sid
    assert (params["MessageStatus"], params["SmsStatus"]) == ("delivered", "delivered")
    assert params["AccountSid"] == f"AC{business.uuid.hex}"
    assert (params["From"], params["To"]) == (number.e164, contact.phone_e164)
    assert "ErrorCode" not in params
    signature = request["headers"]["X-Twilio-Signature"]
    assert RequestValidator(token).validate(url, params, signature)
    assert not RequestValidator("f" * 32).validate(url, params, signature)

    # a failure carries the carrier's error code
    failed = tw.messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY, status_callback=url
    )
    row = Message.objects.get(uuid=formats.uuid_from_sid(failed.sid))
    Message.objects.filter(pk=row.pk).update(status=Message.Status.SENT, provider_id="c-2")
    _receipt(row, "undelivered", "30003")
    _deliver_all()
    last = receiver.requests[-1]["params"]
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")
    assert RequestValidator(token).validate(
        url, last, receiver.requests[-1]["headers"]["X-Twilio-Signature"]
    )


def test_cancel_sends_a_canceled_callback_and_failures_retry(
    tw, number, contact, receiver, settings
):
    from datetime import UTC, datetime, timedelta

    receiver.status = 503
    created = tw.messages.create(
        to=contact.phone_e164,
        from_=number.e164,
        body=BODY,
        status_callback=f"{receiver.url}/status",
        schedule_type="fixed",
        send_at=datetime.now(UTC) + timedelta(hours=1),
    )
    tw.messages(created.sid).update(status="canceled")
    (callback,) = _deliver_all()
    assert callback.status == TwilioCallback.Status.RETRYING
    assert (callback.response_status, callback.attempts) == (503, 1)
    assert receiver.requests[0]["params"]["MessageStatus"] == "canceled"
    receiver.status = 200
    TwilioCallback.objects.filter(pk=callback.pk).update(next_attempt_at=None)
    callback = twilio_services.twilio_callback_deliver(callback_id=callback.pk)
    assert callback.status == TwilioCallback.Status.SUCCEEDED and callback.attempts == 2


def test_callback_urls_are_ssrf_checked(tw, number, contact, settings, receiver):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    for url in (f"{receiver.url}/status", "https://127.0.0.1/x", "https://user:pw@example.com/"):
        with pytest.raises(TwilioRestException) as info:
            tw.messages.create(
                to=contact.phone_e164, from_=number.e164, body=BODY, status_callback=url
            )
        assert info.value.code == 21609, url
    # a URL accepted once is checked again at delivery (DNS may have changed since)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    created = tw.messages.create(
        to=contact.phone_e164,
        from_=number.e164,
        body=BODY,
        status_callback=f"{receiver.url}/status",
    )
    tw.messages(created.sid).update(status="canceled")
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    (callback,) = _deliver_all()
    assert callback.status == TwilioCallback.Status.RETRYING
    assert "https" in callback.last_error and receiver.requests == []


def test_inbound_is_forwarded_signed_and_twiml_answers_through_the_gates(
    account, business, number, contact, receiver, owner
):
    acct, token = account
    url = f"{receiver.url}/sms"
    acct.inbound_url = url
    acct.save(update_fields=["inbound_url"])
    reply = "Your visit is Tue at 3pm. Reply STOP to opt out."
    receiver.answer = (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{reply}</Message></Response>'
    ).encode()
    inbound = messaging_services.inbound_receive(
        to_number=number.e164,
        from_phone=contact.phone_e164,
        body="What time is my appointment?",
        provider="simulated",
    )
    (callback,) = _deliver_all()
    assert callback.status == TwilioCallback.Status.SUCCEEDED
    (request,) = receiver.requests
    params = request["params"]
    assert params["MessageSid"] == formats.message_sid(inbound.uuid)
    assert (params["From"], params["To"]) == (contact.phone_e164, number.e164)
    assert params["Body"] == "What time is my appointment?" and params["NumMedia"] == "0"
    assert RequestValidator(token).validate(url, params, request["headers"]["X-Twilio-Signature"])
    # the TwiML answer: a conversational reply to that text, through every gate
    answer = callback.reply
    assert answer is not None and answer.body == reply
    assert answer.reply_to_id == inbound.pk and answer.kind == "conversational"
    assert answer.automated and answer.status == Message.Status.QUEUED
    assert answer.from_number_id == number.pk and answer.to_phone == contact.phone_e164


def test_twiml_answer_is_refused_by_the_gates_when_it_must_be(
    account, business, number, contact, receiver
):
    acct, _ = account
    acct.inbound_url = f"{receiver.url}/sms"
    acct.save(update_fields=["inbound_url"])
    # automated and without opt-out text: the gates block it, nothing reaches the carrier
    receiver.answer = b"<Response><Message><Body>Thanks!</Body></Message></Response>"
    messaging_services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body="ok", provider="simulated"
    )
    (callback,) = _deliver_all()
    assert callback.reply.status == Message.Status.BLOCKED
    assert formats.failure(callback.reply.reasons)[0] == formats.FILTERED
    # an answer that is not TwiML, or an XML bomb, sends nothing
    for answer in (
        b"OK",
        b"<Response/>",
        b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><Response><Message>&b;'
        b"</Message></Response>",
    ):
        receiver.answer = answer
        messaging_services.inbound_receive(
            to_number=number.e164, from_phone=contact.phone_e164, body="hi", provider="simulated"
        )
        (callback,) = _deliver_all()
        assert callback.status == TwilioCallback.Status.SUCCEEDED and callback.reply is None


def test_no_forward_without_an_inbound_url(account, business, number, contact, receiver):
    messaging_services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body="hi", provider="simulated"
    )
    assert not TwilioCallback.objects.exists()
