"""The official ``twilio`` Python library against the Twilio-compatible API on a live
test server: create, fetch, list with paging and filters, cancel, redact, delete, and the
errors (TwilioRestException codes) each refusal of our gates maps to."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

from accounts import services as account_services
from accounts.models import AuditEvent
from accounts.roles import Role
from consent.models import Method
from consent.services import consent_record_opt_out
from messaging.models import Message
from messaging.twilio_api import formats
from tests.factories.accounts import MembershipFactory
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db(transaction=True)
BODY = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out."


def _raises(call, code: int, status: int) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        call()
    assert (info.value.code, info.value.status) == (code, status), info.value.msg
    return info.value


def _list_raises(call, code: int, status: int) -> dict:
    """A page that cannot be read: the library raises TwilioException with the response."""
    with pytest.raises(TwilioException) as info:
        call()
    response = info.value.args[1]
    body = json.loads(response.text)
    assert (response.status_code, body["code"], body["status"]) == (status, code, status)
    assert body["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    return body


def test_create_fetch_and_the_message_is_ours(tw, business, number, contact, account):
    created = tw.messages.create(to=contact.phone_e164, from_=number.e164, body=BODY)
    message = Message.objects.get(business=business)
    assert created.sid == f"SM{message.uuid.hex}" and len(created.sid) == 34
    assert created.account_sid == account[0].account_sid == f"AC{business.uuid.hex}"
    assert (created.status, created.direction) == ("queued", "outbound-api")
    assert (created.to, created.from_, created.body) == (contact.phone_e164, number.e164, BODY)
    assert created.num_segments == "1" and created.api_version == "2010-04-01"
    assert created.error_code is None and created.date_sent is None
    # RFC 2822 dates, parsed by the library into aware datetimes
    assert abs(created.date_created - datetime.now(UTC)) < timedelta(minutes=1)
    # every gate ran: an automated (API) send, stored like any other
    assert message.automated and message.kind == "transactional"
    assert message.status == Message.Status.QUEUED

    fetched = tw.messages(created.sid).fetch()
    assert (fetched.sid, fetched.status, fetched.body) == (created.sid, "queued", BODY)


def test_messaging_service_sid_picks_the_campaigns_number(tw, number, contact):
    sid = formats.service_sid(number.campaign.uuid)
    created = tw.messages.create(to=contact.phone_e164, messaging_service_sid=sid, body=BODY)
    assert created.from_ == number.e164 and created.messaging_service_sid == sid
    _raises(
        lambda: tw.messages.create(
            to=contact.phone_e164, messaging_service_sid="MG" + "0" * 32, body=BODY
        ),
        formats.SERVICE_INVALID,
        400,
    )


def test_list_pages_through_everything_with_filters(tw, business, number):
    contacts = [consenting_contact(business=business, number=number) for _ in range(5)]
    sids = [tw.messages.create(to=c.phone_e164, from_=number.e164, body=BODY).sid for c in contacts]
    # the library follows next_page_uri until the last page
    listed = tw.messages.list(page_size=2)
    assert [m.sid for m in listed] == list(reversed(sids))
    page = tw.messages.page(page_size=2)
    assert page.next_page_url is not None and "PageToken=PASM" in page.next_page_url
    second = page.next_page()
    third = second.next_page()
    pages = [[m.sid for m in p] for p in (page, second, third)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [sid for p in pages for sid in p] == list(reversed(sids))
    assert third.next_page_url is None
    # To / From filters
    only = tw.messages.list(to=contacts[2].phone_e164)
    assert [m.sid for m in only] == [sids[2]]
    assert len(tw.messages.list(from_=number.e164)) == 5
    assert tw.messages.list(from_="+13125550000") == []
    # DateSent: only messages handed to the carrier have one
    sent = Message.objects.get(uuid=formats.uuid_from_sid(sids[0]))
    Message.objects.filter(pk=sent.pk).update(
        status=Message.Status.SENT, sent_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    )
    assert [m.sid for m in tw.messages.list(date_sent=datetime(2026, 3, 2))] == [sids[0]]
    assert [m.sid for m in tw.messages.list(date_sent_before=datetime(2026, 3, 2, 16))] == [sids[0]]
    assert tw.messages.list(date_sent_after=datetime(2026, 3, 3)) == []
    assert tw.messages.list(date_sent=datetime(2026, 3, 1)) == []
    _list_raises(lambda: tw.messages.list(date_sent="yesterday"), formats.INVALID_PARAMETER, 400)


def test_schedule_then_cancel(tw, number, contact):
    send_at = datetime.now(UTC) + timedelta(hours=2)
    created = tw.messages.create(
        to=contact.phone_e164,
        from_=number.e164,
        body=BODY,
        schedule_type="fixed",
        send_at=send_at,
    )
    assert created.status == "scheduled"
    message = Message.objects.get(uuid=formats.uuid_from_sid(created.sid))
    assert message.status == Message.Status.SCHEDULED
    assert abs(message.send_after - send_at) < timedelta(seconds=1)
    canceled = tw.messages(created.sid).update(status="canceled")
    assert canceled.status == "canceled"
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELED
    _raises(lambda: tw.messages(created.sid).update(status="canceled"), formats.CANNOT_CANCEL, 400)
    # Twilio's scheduling window and type
    _raises(
        lambda: tw.messages.create(
            to=contact.phone_e164,
            from_=number.e164,
            body=BODY,
            schedule_type="fixed",
            send_at=datetime.now(UTC) + timedelta(minutes=5),
        ),
        formats.SCHEDULE_TIME,
        400,
    )
    _raises(
        lambda: tw.messages.create(
            to=contact.phone_e164,
            from_=number.e164,
            body=BODY,
            schedule_type="later",
            send_at=send_at,
        ),
        formats.SCHEDULE_TYPE,
        400,
    )


def test_validity_period_sets_the_expiry(tw, number, contact):
    created = tw.messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY, validity_period=600
    )
    message = Message.objects.get(uuid=formats.uuid_from_sid(created.sid))
    assert (
        timedelta(seconds=590) < message.expires_at - message.created_at <= timedelta(seconds=601)
    )
    _raises(
        lambda: tw.messages.create(
            to=contact.phone_e164, from_=number.e164, body=BODY, validity_period=0
        ),
        formats.INVALID_PARAMETER,
        400,
    )


def test_each_gate_refusal_has_its_twilio_code_and_our_reason(tw, business, number, contact):
    # unsubscribed recipient: 21610, the message stored BLOCKED with its reasons
    consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    error = _raises(
        lambda: tw.messages.create(to=contact.phone_e164, from_=number.e164, body=BODY),
        formats.UNSUBSCRIBED,
        400,
    )
    blocked = Message.objects.get(business=business, status=Message.Status.BLOCKED)
    assert formats.message_sid(blocked.uuid) in error.msg
    assert blocked.reasons[0]["message"] in error.msg  # our own reason, in words
    fetched = tw.messages(formats.message_sid(blocked.uuid)).fetch()
    assert (fetched.status, fetched.error_code) == ("failed", formats.UNSUBSCRIBED)

    other = consenting_contact(business=business, number=number)
    # content filtered: 30007 (no opt-out text on an automated message)
    error = _raises(
        lambda: tw.messages.create(
            to=other.phone_e164, from_=number.e164, body="Your code is ready, come by."
        ),
        formats.FILTERED,
        400,
    )
    assert "opt out" in error.msg.lower() or "stop" in error.msg.lower()
    # invalid To, missing To, no From, a From that is not ours, empty and long bodies, media
    cases = [
        ({"to": "12", "from_": number.e164, "body": BODY}, formats.INVALID_TO),
        ({"to": "", "from_": number.e164, "body": BODY}, formats.TO_REQUIRED),
        ({"to": other.phone_e164, "body": BODY}, formats.FROM_REQUIRED),
        ({"to": other.phone_e164, "from_": "+13125559999", "body": BODY}, formats.FROM_NOT_OURS),
        ({"to": other.phone_e164, "from_": number.e164, "body": " "}, formats.BODY_REQUIRED),
        (
            {"to": other.phone_e164, "from_": number.e164, "body": "x" * 1601},
            formats.BODY_TOO_LONG,
        ),
        (
            {
                "to": other.phone_e164,
                "from_": number.e164,
                "body": BODY,
                "media_url": [f"https://example.com/{i}.png" for i in range(11)],
            },
            formats.TOO_MANY_MEDIA,
        ),
        (
            {
                "to": other.phone_e164,
                "from_": number.e164,
                "body": BODY,
                "status_callback": "ftp://example.com/x",
            },
            21609,
        ),
    ]
    for kwargs, code in cases:
        _raises(lambda kwargs=kwargs: tw.messages.create(**kwargs), code, 400)
    # a number whose campaign is not approved: 21717
    number.campaign.status = "SUSPENDED"
    number.campaign.save(update_fields=["status"])
    _raises(
        lambda: tw.messages.create(to=other.phone_e164, from_=number.e164, body=BODY),
        formats.NO_CAMPAIGN,
        400,
    )
    # a business not approved: 30002
    business.vetting_status = business.Vetting.SUSPENDED
    business.save(update_fields=["vetting_status"])
    _raises(
        lambda: tw.messages.create(to=other.phone_e164, from_=number.e164, body=BODY),
        formats.ACCOUNT_SUSPENDED,
        400,
    )


def test_credentials_keys_roles_and_tenancy(tw, client_for, business, owner, account, number):
    acct, token = account
    # a wrong token, and another account's SID in the path
    _list_raises(
        lambda: client_for(acct.account_sid, "0" * 32, acct.account_sid).messages.list(),
        formats.AUTH,
        401,
    )
    other = sending_number(business=MembershipFactory(role=Role.OWNER).business)
    other_sid = f"AC{other.business.uuid.hex}"
    _list_raises(lambda: client_for(acct.account_sid, token, other_sid).messages.list(), 20404, 404)
    _raises(lambda: tw.messages("SM" + "0" * 32).fetch(), formats.NOT_FOUND, 404)
    _raises(lambda: tw.messages("not-a-sid").fetch(), formats.NOT_FOUND, 404)

    # an API key SID + secret with the viewer role: may list, may not send
    key, secret = account_services.api_key_create(
        business=business, name="CRM", role=Role.VIEWER, by=owner, twilio=True
    )
    assert key.sid.startswith("SK") and len(key.sid) == 34
    viewer = client_for(key.sid, secret, acct.account_sid)
    assert viewer.messages.list() == []
    _raises(
        lambda: viewer.messages.create(to="+16465550100", from_=number.e164, body=BODY),
        formats.AUTH,
        403,
    )
    account_services.api_key_revoke(key=key, actor=owner.user)
    _list_raises(lambda: viewer.messages.list(), formats.AUTH, 401)

    # rotating the auth token revokes the old one at once, audited
    _, new_token = account_services.twilio_account_rotate_token(business=business, by=owner)
    _list_raises(lambda: tw.messages.list(), formats.AUTH, 401)
    assert client_for(acct.account_sid, new_token, acct.account_sid).messages.list() == []
    actions = set(AuditEvent.objects.filter(business=business).values_list("action", flat=True))
    assert {"twilio_account.create", "twilio_account.rotate_token", "api_key.revoke"} <= actions


def test_redact_and_delete_once_done(tw, business, number, contact):
    created = tw.messages.create(to=contact.phone_e164, from_=number.e164, body=BODY)
    # not done yet: neither
    _raises(lambda: tw.messages(created.sid).update(body=""), formats.NOT_COMPLETE, 400)
    _raises(lambda: tw.messages(created.sid).delete(), formats.NOT_COMPLETE, 409)
    Message.objects.filter(uuid=formats.uuid_from_sid(created.sid)).update(
        status=Message.Status.DELIVERED, slot_frees_at=None
    )
    redacted = tw.messages(created.sid).update(body="")
    assert redacted.body == "" and redacted.status == "delivered"
    assert Message.objects.get(uuid=formats.uuid_from_sid(created.sid)).body == ""
    assert tw.messages(created.sid).delete() is True
    assert not Message.objects.filter(uuid=formats.uuid_from_sid(created.sid)).exists()
    _raises(lambda: tw.messages(created.sid).fetch(), formats.NOT_FOUND, 404)
    assert AuditEvent.objects.filter(business=business, action="message.delete").exists()


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_media_url_makes_an_mms_through_the_gates(tw, business, number, contact, receiver):
    from messaging.media.models import MediaAttachment

    receiver.files["/smile.png"] = ("image/png", _png())
    receiver.files["/notes.txt"] = ("text/plain", b"not a picture")
    url = f"{receiver.url}/smile.png"
    # a campaign not registered for MMS: the number gate refuses it (21606), stored BLOCKED
    _raises(
        lambda: tw.messages.create(
            to=contact.phone_e164, from_=number.e164, body=BODY, media_url=[url]
        ),
        formats.FROM_NOT_USABLE,
        400,
    )
    number.campaign.mms = True
    number.campaign.save(update_fields=["mms"])
    created = tw.messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY, media_url=[url]
    )
    assert created.status == "queued" and created.num_media == "1"
    message = Message.objects.get(uuid=formats.uuid_from_sid(created.sid))
    assert message.media_count == 1
    attached = MediaAttachment.objects.get(message=message)
    assert attached.media.source_url == url and attached.business_id == business.pk
    # a file that is not an allowed picture, or a URL that answers 404: 21620 with the reason
    for bad in (f"{receiver.url}/notes.txt", f"{receiver.url}/missing.png"):
        error = _raises(
            lambda bad=bad: tw.messages.create(
                to=contact.phone_e164, from_=number.e164, body=BODY, media_url=[bad]
            ),
            formats.INVALID_MEDIA,
            400,
        )
        assert "Invalid media URL(s): " in error.msg
