"""The Twilio-compatible API's edges through Django's test client (no live server): bad
credentials, parameters it cannot use, the per-key throttle, held and inbound messages in
Twilio's words; and the pure formats, table-driven."""

import base64
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from messaging.models import Message
from messaging.twilio_api import formats
from messaging.twilio_api.resources import message_resource
from policies.decisions import Decision, Reason
from tests.factories.messaging import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)  # after live-server tests in the same run
BODY = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out."


@pytest.fixture
def api(account):
    acct, token = account
    client = APIClient()
    basic = base64.b64encode(f"{acct.account_sid}:{token}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {basic}")
    return client


@pytest.fixture
def base(account):
    return f"/2010-04-01/Accounts/{account[0].account_sid}"


def _error(response, status: int, code: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return body


@pytest.mark.parametrize(
    "header",
    ["Bearer cyc_deadbeef_x", "Basic !!!", "Basic " + base64.b64encode(b"nobody:x").decode()],
)
def test_bad_credentials_are_20003(base, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(f"{base}/Messages.json")
    _error(response, 401, formats.AUTH)
    assert response["WWW-Authenticate"] == 'Basic realm="Twilio API"'


def test_parameters_it_cannot_use(api, base, number, contact):
    sid = api.post(
        f"{base}/Messages.json", {"To": contact.phone_e164, "From": number.e164, "Body": BODY}
    ).json()["sid"]
    one = f"{base}/Messages/{sid}.json"
    for params in ({"PageSize": "0"}, {"PageSize": "x"}, {"PageToken": "PAnope"}):
        _error(api.get(f"{base}/Messages.json", params), 400, formats.INVALID_PARAMETER)
    for data in ({"Status": "sent"}, {"Body": "new text"}, {}):
        _error(api.post(one, data), 400, formats.INVALID_PARAMETER)
    create = {"To": contact.phone_e164, "From": number.e164, "Body": BODY}
    _error(
        api.post(f"{base}/Messages.json", {**create, "ValidityPeriod": "soon"}),
        400,
        formats.INVALID_PARAMETER,
    )
    _error(
        api.post(
            f"{base}/Messages.json", {**create, "SendAt": "tomorrow", "ScheduleType": "fixed"}
        ),
        400,
        formats.SCHEDULE_TIME,
    )
    _error(
        api.post(f"{base}/Messages.json", {**create, "ScheduleType": "fixed"}),
        400,
        formats.SCHEDULE_TIME,
    )
    _error(api.put(one, {}), 405, 20004)


@pytest.mark.parametrize(
    "params",
    [
        {"DateSent": "2026-02-30"},
        {"DateSent>": "2026-13-45T00:00:00"},
        {"DateSent<": "2026-01-01T25:00:00"},
    ],
)
def test_a_date_in_the_right_shape_but_no_such_day_is_20001_not_a_500(api, base, params):
    # Django's parse_date/parse_datetime raise ValueError for these (they match the pattern)
    _error(api.get(f"{base}/Messages.json", params), 400, formats.INVALID_PARAMETER)


def test_a_send_at_of_no_such_day_is_35114_not_a_500(api, base, contact, number):
    create = {"To": contact.phone_e164, "From": number.e164, "Body": BODY}
    _error(
        api.post(
            f"{base}/Messages.json",
            {**create, "SendAt": "2026-02-30T10:00:00Z", "ScheduleType": "fixed"},
        ),
        400,
        formats.SCHEDULE_TIME,
    )
    assert not Message.objects.exists()


def test_a_throttled_key_gets_20429(api, base, settings):
    from rest_framework.settings import api_settings

    from accounts.api.throttling import ApiKeyRateThrottle

    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "2/min"}
    try:
        assert [api.get(f"{base}/Messages.json").status_code for _ in range(2)] == [200, 200]
        response = api.get(f"{base}/Messages.json")
        _error(response, 429, formats.TOO_MANY)
        assert int(response["Retry-After"]) > 0
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = original


def test_a_held_message_is_accepted(api, base, number, contact, monkeypatch):
    review = Decision((Reason("content.test", "lending", "review", "Looks like a loan offer."),))
    monkeypatch.setattr("policies.services.message_check", lambda **kw: review)
    response = api.post(
        f"{base}/Messages.json", {"To": contact.phone_e164, "From": number.e164, "Body": BODY}
    )
    assert response.status_code == 201 and response.json()["status"] == "accepted"
    assert Message.objects.get().status == Message.Status.HELD


def test_an_inbound_message_in_twilios_words(business, number):
    message = MessageFactory(
        business=business,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        from_number=number,
        to_phone="+16465550111",
        body="Running late",
    )
    data = message_resource(message, f"AC{business.uuid.hex}")
    assert (data["direction"], data["status"]) == ("inbound", "received")
    assert (data["from"], data["to"]) == ("+16465550111", number.e164)
    assert data["date_sent"] == data["date_created"]
    assert data["uri"].endswith(f"/Messages/SM{message.uuid.hex}.json")
    assert data["subresource_uris"]["media"].endswith(f"/Messages/SM{message.uuid.hex}/Media.json")


@pytest.mark.parametrize(
    ("status", "reasons", "provider_code", "expected"),
    [
        ("QUEUED", [], "", None),
        ("DELIVERED", [], "", None),
        ("FAILED", [], "30003", 30003),
        ("FAILED", [], "timeout", formats.UNKNOWN_ERROR),
        ("UNDELIVERED", [], "", formats.UNKNOWN_ERROR),
        ("EXPIRED", [], "", formats.VALIDITY_EXPIRED),
        ("BLOCKED", [], "", formats.FILTERED),
        ("BLOCKED", [{"gate": "consent", "code": "opted_out", "message": "m"}], "", 21610),
        ("BLOCKED", [{"gate": "number", "code": "number_inactive", "message": "m"}], "", 21606),
        ("BLOCKED", [{"gate": "number", "code": "wrong_business", "message": "m"}], "", 21659),
        ("BLOCKED", [{"gate": "number", "code": "something_new", "message": "m"}], "", 21606),
        (
            "BLOCKED",
            [
                {"gate": "kind", "code": "reads_as_marketing", "message": "m"},
                {"gate": "policy", "code": "block", "message": "m"},
            ],
            "",
            30007,
        ),
        ("BLOCKED", [{"gate": "review", "code": "rejected", "message": "m"}], "", 30007),
        ("EXPIRED", [{"gate": "validity", "code": "expired", "message": "m"}], "", 30036),
    ],
)
def test_error_codes(status, reasons, provider_code, expected):
    assert formats.error_code(status=status, reasons=reasons, provider_code=provider_code) == (
        expected
    )


def test_sids_and_dates():
    import uuid

    u = uuid.uuid4()
    assert formats.uuid_from_sid(formats.message_sid(u)) == u
    assert formats.uuid_from_sid("SM" + "g" * 32) is None
    assert formats.uuid_from_service_sid(formats.service_sid(u)) == u
    assert formats.rfc2822(datetime(2026, 3, 2, 15, 4, 5, tzinfo=UTC)) == (
        "Mon, 02 Mar 2026 15:04:05 +0000"
    )
    assert formats.rfc2822(None) is None


def test_service_without_a_number_and_a_from_that_is_no_number(api, base, number, contact):
    from campaigns.models import PhoneNumber

    PhoneNumber.objects.filter(pk=number.pk).update(status=PhoneNumber.Status.SUSPENDED)
    create = {"To": contact.phone_e164, "Body": BODY}
    service = formats.service_sid(number.campaign.uuid)
    _error(
        api.post(f"{base}/Messages.json", {**create, "MessagingServiceSid": service}),
        400,
        formats.FROM_NOT_USABLE,
    )
    _error(
        api.post(f"{base}/Messages.json", {**create, "From": "not a number"}),
        400,
        formats.FROM_NOT_OURS,
    )


def test_lost_callbacks_are_requeued_and_unsigned_ones_fail(business, settings):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.twilio_api import tasks
    from messaging.twilio_api.models import TwilioCallback

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    message = MessageFactory(business=business)
    callback = TwilioCallback.objects.create(
        business=business,
        message=message,
        kind=TwilioCallback.Kind.STATUS,
        url="http://127.0.0.1:9/status",
        message_status="DELIVERED",
        next_attempt_at=timezone.now() - timedelta(minutes=5),
    )
    assert tasks.twilio_callbacks_retry_due_task() == 1  # queued again for a worker
    # the business has no auth token (never created): nothing can be signed, so it fails
    tasks.twilio_callback_deliver_task(callback.pk)
    callback.refresh_from_db()
    assert callback.status == TwilioCallback.Status.FAILED
    assert "auth token" in callback.last_error and callback.attempts == 1
