"""Messaging reads behind the portal and the API: outcomes in words, filters, zones, the
compose pre-check's review and quiet-hours verdicts, the inbox and quick replies."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.errors import NotFound
from accounts.models import Business
from consent.models import Contact
from messaging import selectors
from messaging.models import Broadcast, Message, QuickReply
from messaging.services import conversation_assign
from policies.models import PolicyHold
from tests.factories.consent import ContactFactory
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

pytestmark = pytest.mark.django_db

SEND = "/api/v1/messages/"
BODY = "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out."
NEW_YORK = ZoneInfo("America/New_York")


# --- ids from requests ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "argument"),
    [
        (selectors.message_get, "message_uuid"),
        (selectors.broadcast_get, "broadcast_uuid"),
        (selectors.quick_reply_get, "reply_uuid"),
    ],
)
@pytest.mark.parametrize("value", ["not-a-uuid", None, 42])
def test_a_malformed_id_is_not_found(business, selector, argument, value):
    with pytest.raises(NotFound):
        selector(business=business, **{argument: value})


# --- outcome in words, through the API ------------------------------------------------------------


def test_a_message_deferred_by_quiet_hours_says_so(api_client, contact):
    tomorrow = timezone.now().astimezone(NEW_YORK).date() + timedelta(days=1)
    response = api_client.post(
        SEND,
        {
            "to": contact.phone_e164,
            "body": BODY,
            "kind": "marketing",
            "send_at": f"{tomorrow.isoformat()}T03:00:00",  # 3 am where the recipient lives
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    data = api_client.get(f"{SEND}{response.json()['uuid']}/").json()
    assert data["status"] == "SCHEDULED"
    assert data["outcome"] == {
        "label": "deferred (quiet hours)",
        "reason": "Deferred to the end of quiet hours in the recipient's time zone.",
    }


@pytest.mark.parametrize(
    ("status", "error_message", "reason"),
    [
        (Message.Status.FAILED, "Carrier filtered", "Carrier code 30007: Carrier filtered."),
        (Message.Status.UNDELIVERED, "", "Carrier code 30007."),
    ],
)
def test_a_failed_message_gives_the_carrier_code(
    api_client, business, status, error_message, reason
):
    m = MessageFactory(
        business=business, status=status, error_code="30007", error_message=error_message
    )
    data = api_client.get(f"{SEND}{m.uuid}/").json()
    assert data["outcome"]["reason"] == reason


# --- list filters, through the API ----------------------------------------------------------------


def test_list_by_broadcast_and_created_before(api_client, business, number, other_business):
    broadcast = Broadcast.objects.create(business=business, name="b", body=BODY, from_number=number)
    in_broadcast = MessageFactory(business=business, broadcast=broadcast)
    old = MessageFactory(business=business, created_at=timezone.now() - timedelta(days=3))

    def uuids(query):
        response = api_client.get(SEND + query)
        assert response.status_code == 200, response.content
        return {row["uuid"] for row in response.json()["results"]}

    assert uuids(f"?broadcast={broadcast.uuid}") == {str(in_broadcast.uuid)}
    before = (timezone.now() - timedelta(days=1)).isoformat().replace("+", "%2B")
    assert uuids(f"?created_before={before}") == {str(old.uuid)}
    theirs = Broadcast.objects.create(
        business=other_business,
        name="t",
        body=BODY,
        from_number=sending_number(business=other_business),
    )
    assert api_client.get(f"{SEND}?broadcast={theirs.uuid}").status_code == 404


def test_send_at_with_an_offset_is_kept_whatever_the_basis(api_client, contact):
    at = (timezone.now() + timedelta(days=2)).replace(microsecond=0, hour=15, minute=0)
    response = api_client.post(
        SEND,
        {
            "to": contact.phone_e164,
            "body": BODY,
            "kind": "transactional",
            "send_at": at.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(),
            "time_zone_basis": "business",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Message.objects.get(uuid=response.json()["uuid"]).send_after == at


# --- durations and zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "unknown"),
        (59.4, "under a minute"),
        (60, "about 1 minute"),
        (61, "about 2 minutes"),
        (89 * 60, "about 89 minutes"),
        (90 * 60, "about 1 h 30 min"),
        (3 * 3600 + 1, "about 3 h 1 min"),
    ],
)
def test_duration_words(seconds, words):
    assert selectors.duration_words(seconds) == words


def test_a_stored_zone_that_no_longer_loads_falls_back(business, number):
    # A zone saved before a tzdata update removed it (forms refuse unknown names today).
    Business.objects.filter(pk=business.pk).update(time_zone="US/Pacific-New-Gone")
    business.refresh_from_db()
    assert selectors.business_zone(business) == ZoneInfo("UTC")

    contact = consenting_contact(business=business, number=number, phone="+13105550123")
    Contact.objects.filter(pk=contact.pk).update(time_zone="Mars/Olympus")
    contact.refresh_from_db()
    zone = selectors.recipient_zone(business=business, contact=contact, phone="+13105550123")
    assert zone == ZoneInfo("America/Los_Angeles")  # the number's, not the broken one
    assert selectors.recipient_zone(business=business, contact=contact) == ZoneInfo("UTC")


# --- compose pre-check ----------------------------------------------------------------------------


def test_precheck_under_a_policy_hold_is_review(owner_client, business, contact):
    PolicyHold.objects.create(business=business, reason="Complaint rate above 1%.")
    response = owner_client.post(
        "/app/compose/check/",
        {"to": contact.phone_e164, "body": BODY, "kind": "marketing"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["verdict"] == "review"
    policy = next(g for g in data["gates"] if g["gate"] == "policy")
    assert not policy["ok"] and "Complaint rate above 1%." in policy["message"]
    assert not Message.objects.exists()


def test_precheck_at_night_where_the_recipient_lives_is_defer(business, number, contact):
    tomorrow = timezone.now().astimezone(NEW_YORK).date() + timedelta(days=1)
    night = datetime.combine(tomorrow, time(3, 0), tzinfo=NEW_YORK)
    result = selectors.compose_precheck(
        business=business,
        body=BODY,
        kind="marketing",
        contact=contact,
        from_number=number,
        send_at=night,
    )
    assert result["verdict"] == "defer"
    gate = result["gates"][-1]
    assert (gate["gate"], gate["code"], gate["ok"]) == ("quiet_hours", "quiet_hours_deferred", True)
    until = datetime.fromisoformat(gate["detail"]["until"]).astimezone(NEW_YORK)
    assert until.date() == tomorrow and time(3, 0) < until.time() <= time(12, 0)
    assert f"{until:%Y-%m-%d %H:%M %Z}" in gate["message"]
    assert not Message.objects.exists()


# --- inbox ----------------------------------------------------------------------------------------


def _inbound(business, contact):
    return MessageFactory(
        business=business,
        contact=contact,
        to_phone=contact.phone_e164,
        direction="inbound",
        status=Message.Status.RECEIVED,
        kind="conversational",
        body="Are you open Saturday?",
    )


def test_inbox_assigned_to_me(owner_client, business, owner, contact):
    other = ContactFactory(business=business)
    _inbound(business, contact)
    _inbound(business, other)
    conversation_assign(business=business, contact=contact, member_uuid=owner.uuid)
    html = owner_client.get("/app/inbox/?assigned=me").content.decode()
    assert f"/app/inbox/{contact.uuid}/" in html
    assert f"/app/inbox/{other.uuid}/" not in html


def test_quick_reply_delete_and_someone_elses_is_404(owner_client, business, other_business):
    mine = QuickReply.objects.create(business=business, title="Hours", body="9 to 5.")
    theirs = QuickReply.objects.create(business=other_business, title="Hours", body="8 to 4.")
    response = owner_client.post(f"/app/inbox/quick-replies/{mine.uuid}/delete/")
    assert response.status_code == 302
    assert not QuickReply.objects.filter(pk=mine.pk).exists()
    response = owner_client.post(f"/app/inbox/quick-replies/{theirs.uuid}/delete/")
    assert response.status_code == 404
    assert QuickReply.objects.filter(pk=theirs.pk).exists()


def test_reasons_read_as_sentences(api_client, business):
    """Reasons are sentences: joined with a space, never "example.; next" or "out.."."""
    m = MessageFactory(
        business=business,
        status=Message.Status.BLOCKED,
        reasons=[
            {"gate": "policy", "code": "unbranded_link",
             "message": "Links must be on brightsmile.example."},
            {"gate": "consent", "code": "opted_out", "message": "The contact opted out."},
            {"gate": "hours", "code": "x", "message": "  no message ending  "},
        ],
    )  # fmt: skip
    data = api_client.get(f"{SEND}{m.uuid}/").json()
    assert data["outcome"] == {
        "label": "skipped",
        "reason": "Links must be on brightsmile.example. The contact opted out. No message ending.",
    }
