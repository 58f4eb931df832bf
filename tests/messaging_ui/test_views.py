"""Portal pages of messaging: compose (check, send, schedule), the log with filters,
message cancel, broadcasts from draft to outcomes, the inbox, webhooks pages."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.events.models import WebhookEndpoint
from accounts.models import AuditEvent
from accounts.roles import Role
from messaging.models import Broadcast, Conversation, Message, QuickReply
from tests.factories.accounts import MembershipFactory
from tests.factories.consent import ContactFactory
from tests.factories.messaging import MessageFactory, consenting_contact

pytestmark = pytest.mark.django_db

BODY = "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out."


def _compose(client, **data):
    data.setdefault("body", BODY)
    data.setdefault("kind", "transactional")
    data.setdefault("when", "now")
    data.setdefault("zone_basis", "recipient")
    return client.post("/app/compose/", data)


# --- compose --------------------------------------------------------------------------------------


def test_compose_page_and_nav(owner_client, number):
    page = owner_client.get("/app/compose/")
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("Compose", "Messages", "Broadcasts", "Inbox", "Webhooks"):
        assert f">{label}</a>" in html
    assert number.e164 in html and 'id="compose-counter"' in html
    assert "js/messaging.js" in html


def test_compose_without_numbers_says_what_to_do(owner_client):
    html = owner_client.get("/app/compose/").content.decode()
    assert "no number that can send yet" in html


def test_compose_check_shows_gates_without_sending(owner_client, business, number):
    stranger = ContactFactory(business=business)
    response = _compose(owner_client, to=stranger.phone_e164, kind="marketing", action="check")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Will not be sent" in html and "has not consented" in html
    assert not Message.objects.exists()


def test_compose_send_queues_and_shows_the_fate(owner_client, contact):
    response = _compose(owner_client, to=contact.phone_e164, action="send")
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/app/messages/{message.uuid}/"
    assert message.status == Message.Status.QUEUED and message.created_by is not None
    page = owner_client.get(response["Location"]).content.decode()
    assert "Waiting" in page and "Cancel this message" in page
    assert "Queued" not in page  # one word for the state, not "waiting (Queued)"


def test_compose_send_blocked_shows_the_reason(owner_client, business, number):
    stranger = ContactFactory(business=business)
    response = _compose(owner_client, to=stranger.phone_e164, kind="marketing", action="send")
    page = owner_client.get(response["Location"]).content.decode()
    assert Message.objects.get().status == Message.Status.BLOCKED
    assert "Not sent:" in page and "no_consent" in page


def test_compose_schedule_in_the_recipient_zone(owner_client, contact):
    contact.time_zone = "America/Chicago"
    contact.save(update_fields=["time_zone"])
    day = (timezone.now() + timedelta(days=3)).date()
    _compose(
        owner_client,
        to=contact.phone_e164,
        action="send",
        when="later",
        send_at=f"{day.isoformat()}T10:15",
        zone_basis="recipient",
    )
    message = Message.objects.get()
    assert message.status == Message.Status.SCHEDULED
    local = message.send_after.astimezone(ZoneInfo("America/Chicago"))
    assert (local.date(), local.hour, local.minute) == (day, 10, 15)


@pytest.mark.parametrize(
    "data, field_text",
    [
        ({"to": "", "action": "send"}, "Enter a phone number."),
        (
            {"to": "+16465550100", "body": "", "action": "send"},
            "Write the message, or add a picture.",
        ),
        ({"to": "12", "action": "send"}, "errorlist"),
        ({"to": "+16465550100", "when": "later", "action": "send"}, "Choose when to send it."),
        (
            {
                "to": "+16465550100",
                "when": "later",
                "send_at": "2001-01-01T10:00",
                "action": "send",
            },
            "That time has passed",
        ),
    ],
)
def test_compose_bad_input_shows_errors_next_to_fields(owner_client, number, data, field_text):
    response = _compose(owner_client, **data)
    assert response.status_code == 400
    assert field_text in response.content.decode()
    assert not Message.objects.exists()


def test_compose_check_json(owner_client, business, contact):
    response = owner_client.post(
        "/app/compose/check/",
        {"to": contact.phone_e164, "body": "Hi 😀", "kind": "transactional"},
        content_type="application/json",
    )
    data = response.json()
    assert data["segments"]["encoding"] == "UCS-2" and data["segments"]["units"] == 5
    assert data["verdict"] == "allow"
    assert {g["gate"] for g in data["gates"]} >= {"number", "consent", "policy"}
    bad = owner_client.post(
        "/app/compose/check/", {"to": "x", "body": ""}, content_type="application/json"
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"to", "body"}
    assert not Message.objects.exists()


def test_viewer_cannot_compose(client, login, members):
    login(client, members[Role.VIEWER])
    assert client.get("/app/compose/").status_code == 403
    html = client.get("/app/messages/").content.decode()
    assert ">Compose</a>" not in html and ">Webhooks</a>" not in html


# --- message log ----------------------------------------------------------------------------------


def test_message_log_filters_and_reasons(owner_client, business, contact):
    blocked = MessageFactory(
        business=business,
        kind="marketing",
        status=Message.Status.BLOCKED,
        reasons=[{"gate": "consent", "code": "opted_out", "message": "The contact opted out."}],
        body="Offer for you",
    )
    MessageFactory(business=business, body="Reminder for you", to_phone="+16465557777")
    html = owner_client.get("/app/messages/").content.decode()
    assert "Offer for you" in html and "Reminder for you" in html
    assert "The contact opted out." in html
    html = owner_client.get("/app/messages/?status=BLOCKED").content.decode()
    assert "Offer for you" in html and "Reminder for you" not in html
    html = owner_client.get("/app/messages/?q=5557777").content.decode()
    assert "Reminder for you" in html and "Offer for you" not in html
    html = owner_client.get("/app/messages/?kind=transactional").content.decode()
    assert "No message matches these filters" in html
    assert owner_client.get(f"/app/messages/{blocked.uuid}/").status_code == 200


def test_message_log_empty_state(owner_client):
    assert "Compose your first message" in owner_client.get("/app/messages/").content.decode()


def test_message_log_query_count(
    owner_client, business, contact, number, django_assert_num_queries
):
    MessageFactory(business=business, contact=contact, from_number=number)
    owner_client.get("/app/messages/")
    with CaptureQueriesContext(connection) as ctx:
        owner_client.get("/app/messages/")
    for _ in range(10):
        MessageFactory(business=business, contact=contact, from_number=number)
    with django_assert_num_queries(len(ctx.captured_queries)):
        owner_client.get("/app/messages/")


def test_cancel_from_the_portal(owner_client, business, contact):
    message = MessageFactory(business=business, contact=contact, status=Message.Status.SCHEDULED)
    owner_client.post(f"/app/messages/{message.uuid}/cancel/")
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELED
    response = owner_client.post(f"/app/messages/{message.uuid}/cancel/", follow=True)
    assert "can no longer be canceled" in response.content.decode()


# --- broadcasts -----------------------------------------------------------------------------------


def test_broadcast_from_draft_to_outcomes(owner_client, business, number, contact):
    ContactFactory(business=business, tags=["patients"])  # no consent: skipped
    response = owner_client.post(
        "/app/broadcasts/new/",
        {
            "name": "December",
            "tags": "patients",
            "from_number": str(number.uuid),
            "kind": "transactional",
            "body": BODY,
        },
    )
    broadcast = Broadcast.objects.get()
    assert response.status_code == 302 and broadcast.status == Broadcast.Status.DRAFT
    page = owner_client.get(response["Location"]).content.decode()
    assert "<strong>2</strong> contacts" in page and "under a minute" in page
    assert "data-confirm" in page and not Message.objects.exists()

    owner_client.post(f"/app/broadcasts/{broadcast.uuid}/start/")
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.RUNNING
    progress = owner_client.get(f"/app/broadcasts/{broadcast.uuid}/progress/").json()
    assert progress["created"] == 2 and progress["skipped"] == 1 and progress["pending"] == 1
    page = owner_client.get(f"/app/broadcasts/{broadcast.uuid}/").content.decode()
    assert "<progress" in page and "has not consented" in page and "skipped" in page
    skipped = owner_client.get(f"/app/broadcasts/{broadcast.uuid}/?outcome=skipped").content
    assert contact.phone_e164 not in skipped.decode()

    owner_client.post(f"/app/broadcasts/{broadcast.uuid}/cancel/")
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELED
    assert not Message.objects.filter(status__in=Message.WAITING).exists()


def test_broadcast_form_errors(owner_client, number):
    response = owner_client.post(
        "/app/broadcasts/new/",
        {
            "name": "",
            "tags": " , ",
            "from_number": str(number.uuid),
            "kind": "marketing",
            "body": "",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "Give at least one tag." in html
    assert not Broadcast.objects.exists()


def test_broadcast_list_empty_state(owner_client):
    assert "No broadcasts yet" in owner_client.get("/app/broadcasts/").content.decode()


# --- inbox ----------------------------------------------------------------------------------------


def _inbound(business, contact, body, **kwargs):
    return MessageFactory(
        business=business,
        contact=contact,
        to_phone=contact.phone_e164,
        direction="inbound",
        status=Message.Status.RECEIVED,
        kind="conversational",
        body=body,
        **kwargs,
    )


def test_inbox_threads_unread_and_reading(owner_client, business, number, contact):
    _inbound(business, contact, "Can I move my appointment?")
    _inbound(business, contact, "To Thursday?")
    quiet = consenting_contact(business=business, number=number)
    MessageFactory(business=business, contact=quiet)  # outbound only: not a conversation
    html = owner_client.get("/app/inbox/").content.decode()
    assert "2 new" in html and "To Thursday?" in html and quiet.phone_e164 not in html

    page = owner_client.get(f"/app/inbox/{contact.uuid}/").content.decode()
    assert "Can I move my appointment?" in page and "may be sent" in page
    assert "2 new" not in owner_client.get("/app/inbox/").content.decode()
    _inbound(business, contact, "Hello?", created_at=timezone.now() + timedelta(seconds=5))
    assert "1 new" in owner_client.get("/app/inbox/").content.decode()


def test_thread_names_the_campaign_consented_to_by_its_name(owner_client, number, contact):
    """The consent panel named a campaign by the first 30 characters of its description
    ("Campaign Luxe Hair texts its salon cli…"); it uses the name the business gave it."""
    campaign = number.campaign
    campaign.name = "Appointments and offers"
    campaign.save(update_fields=["name"])
    page = owner_client.get(f"/app/inbox/{contact.uuid}/").content.decode()
    assert "Campaign Appointments and offers:" in page
    assert campaign.description[:20] not in page


def test_thread_tells_automatic_texts_from_a_member_s(owner_client, business, contact, owner):
    """Texts no member wrote (the confirmation after YES, the reply to STOP, the API's)
    were signed "You", beside the owner's own signed with their name."""
    _inbound(business, contact, "YES")
    MessageFactory(business=business, contact=contact, body="You are subscribed.")
    MessageFactory(
        business=business, contact=contact, body="See you Tuesday.", created_by=owner.user
    )
    page = owner_client.get(f"/app/inbox/{contact.uuid}/").content.decode()
    assert "Automatic · " in page and f"{owner.user.full_name} · " in page
    assert "You · " not in page


def test_inbox_query_count(owner_client, business, number, django_assert_num_queries):
    def add():
        c = consenting_contact(business=business, number=number)
        _inbound(business, c, "hi")

    add()
    owner_client.get("/app/inbox/")
    with CaptureQueriesContext(connection) as ctx:
        owner_client.get("/app/inbox/")
    for _ in range(5):
        add()
    with django_assert_num_queries(len(ctx.captured_queries)):
        owner_client.get("/app/inbox/")


def test_reply_assign_and_quick_replies(owner_client, business, members, contact):
    inbound = _inbound(business, contact, "Are you open Saturday?")
    agent = members[Role.AGENT]
    owner_client.post(f"/app/inbox/{contact.uuid}/assign/", {"member": str(agent.uuid)})
    assert Conversation.objects.get(contact=contact).assigned_to == agent.user
    assert AuditEvent.objects.filter(action="conversation.assign").exists()
    html = owner_client.get("/app/inbox/?assigned=none").content.decode()
    assert "No conversation here" in html

    owner_client.post("/app/inbox/quick-replies/", {"qr-title": "Hours", "qr-body": "9 to 5."})
    assert QuickReply.objects.get(business=business).body == "9 to 5."
    page = owner_client.get(f"/app/inbox/{contact.uuid}/").content.decode()
    assert 'data-quick-reply="9 to 5."' in page

    owner_client.post(f"/app/inbox/{contact.uuid}/reply/", {"body": "Yes, 9 to 5."})
    reply = Message.objects.get(direction="outbound")
    assert reply.reply_to == inbound and reply.kind == "conversational"
    assert reply.status == Message.Status.QUEUED


def test_assign_to_a_stranger_is_refused(owner_client, contact):
    stranger = MembershipFactory()
    response = owner_client.post(
        f"/app/inbox/{contact.uuid}/assign/", {"member": str(stranger.uuid)}, follow=True
    )
    assert "Choose a member of this business." in response.content.decode()
    assert not Conversation.objects.filter(assigned_to__isnull=False).exists()


def test_assign_to_a_malformed_member_id_is_refused(owner_client, contact):
    response = owner_client.post(f"/app/inbox/{contact.uuid}/assign/", {"member": "not-a-uuid"})
    assert response.status_code == 302
    assert _message(response) == "Choose a member of this business."
    assert not Conversation.objects.filter(assigned_to__isnull=False).exists()


def test_inbox_empty_state(owner_client):
    assert "No conversations yet" in owner_client.get("/app/inbox/").content.decode()


# --- webhooks -------------------------------------------------------------------------------------


def test_webhook_pages(owner_client, business, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    bad = owner_client.post(
        "/app/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["message.status"]}
    )
    assert bad.status_code == 400 and "Use https." in bad.content.decode()
    response = owner_client.post(
        "/app/webhooks/",
        {"url": "https://hooks.example.com/cyc", "events": ["message.status", "message.inbound"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    page = owner_client.get(response["Location"]).content.decode()
    assert endpoint.secret in page and "Copy the signing secret now" in page
    assert endpoint.secret not in owner_client.get(response["Location"]).content.decode()
    old = endpoint.secret
    owner_client.post(f"/app/webhooks/{endpoint.uuid}/rotate/")
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    owner_client.post(f"/app/webhooks/{endpoint.uuid}/toggle/")
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "Webhook-Signature" in owner_client.get("/app/webhooks/").content.decode()
    owner_client.post(f"/app/webhooks/{endpoint.uuid}/delete/")
    assert not WebhookEndpoint.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "webhook.create",
        "webhook.rotate_secret",
        "webhook.update",
        "webhook.delete",
    } <= actions


# --- error paths and the remaining branches -------------------------------------------------


def _message(response) -> str:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_compose_link_prefills_only_this_business_contact_and_a_bad_id_is_no_500(
    owner_client, contact, other_business
):
    form = owner_client.get("/app/compose/", {"contact": str(contact.uuid)}).context["form"]
    assert form.initial == {"to": contact.phone_e164, "contact": contact.uuid}
    foreign = ContactFactory(business=other_business)
    for value in (str(foreign.uuid), "not-a-uuid"):
        response = owner_client.get("/app/compose/", {"contact": value})
        assert response.status_code == 200 and response.context["form"].initial == {}
        assert foreign.phone_e164 not in response.content.decode()
    # the hidden contact field of a posted form, tampered with: refused, nothing sent
    response = _compose(owner_client, to=contact.phone_e164, contact="not-a-uuid", action="send")
    assert response.status_code == 400 and response.context["form"].errors["contact"]
    assert not Message.objects.exists()


def test_compose_to_another_number_than_the_linked_contact(owner_client, business, contact, number):
    other = consenting_contact(business=business, number=number)
    response = _compose(
        owner_client,
        to=other.phone_e164,
        contact=str(contact.uuid),
        from_number=str(number.uuid),
        action="send",
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.contact == other and message.from_number == number


def test_compose_schedule_in_the_business_zone(owner_client, business, contact):
    business.time_zone = "America/Denver"
    business.save(update_fields=["time_zone"])
    day = (timezone.now() + timedelta(days=3)).date()
    response = _compose(
        owner_client,
        to=contact.phone_e164,
        action="send",
        when="later",
        send_at=f"{day.isoformat()}T09:30",
        zone_basis="business",
    )
    assert "Scheduled for" in _message(response)
    local = Message.objects.get().send_after.astimezone(ZoneInfo("America/Denver"))
    assert (local.date(), local.hour, local.minute) == (day, 9, 30)


def test_compose_held_for_review_says_so(owner_client, contact, monkeypatch):
    from policies.decisions import Decision, Reason

    review = Decision((Reason("content.test", "lending", "review", "Looks like a loan offer."),))
    monkeypatch.setattr("policies.services.message_check", lambda **kw: review)
    response = _compose(owner_client, to=contact.phone_e164, action="send")
    assert _message(response).startswith("Held for review by our compliance team:")
    assert Message.objects.get().status == Message.Status.HELD


def test_compose_check_json_edge_cases(owner_client, business, number, other_business):
    from tests.factories.messaging import sending_number

    url = "/app/compose/check/"
    listed = owner_client.post(url, ["not", "an", "object"], content_type="application/json")
    assert listed.status_code == 400  # read as an empty form: the fields are missing
    assert set(listed.json()["error"]["fields"]) >= {"to", "body"}
    bad_kind = owner_client.post(url, {"kind": "spam"}, content_type="application/json")
    assert bad_kind.status_code == 400
    assert bad_kind.json()["error"]["fields"] == {"kind": ["Unknown."]}
    body = {"to": "+16465550100", "body": "Hi", "kind": "transactional"}
    mine = owner_client.post(url, {**body, "from_number": str(number.uuid)}, "application/json")
    assert mine.status_code == 200
    foreign = sending_number(business=other_business)
    theirs = owner_client.post(url, {**body, "from_number": str(foreign.uuid)}, "application/json")
    assert theirs.status_code == 200 and foreign.e164 not in theirs.content.decode()
    assert not Message.objects.exists()


def test_broadcast_scheduled_and_an_audience_error(owner_client, business, number, contact):
    day = (timezone.now() + timedelta(days=2)).date()
    data = {
        "name": "Later",
        "tags": "patients",
        "from_number": str(number.uuid),
        "kind": "transactional",
        "body": BODY,
        "send_at": f"{day.isoformat()}T10:00",
    }
    response = owner_client.post("/app/broadcasts/new/", data)
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    local = timezone.localtime(broadcast.send_at, ZoneInfo(business.time_zone))
    assert (local.date(), local.hour) == (day, 10)

    response = owner_client.post("/app/broadcasts/new/", {**data, "body": "x" * 1601})
    assert response.status_code == 400
    assert response.context["form"].errors["body"]
    assert Broadcast.objects.count() == 1


def test_broadcast_start_and_cancel_in_the_wrong_state(owner_client, business, number, contact):
    broadcast = Broadcast.objects.create(
        business=business, name="Done", body=BODY, kind="transactional", from_number=number,
        tags=["patients"], status=Broadcast.Status.CANCELED,
    )  # fmt: skip
    page = owner_client.get(f"/app/broadcasts/{broadcast.uuid}/", {"outcome": "bogus"})
    assert page.status_code == 200 and page.context["outcome"] == ""
    response = owner_client.post(f"/app/broadcasts/{broadcast.uuid}/start/")
    assert _message(response) == "Only a draft can be started."
    response = owner_client.post(f"/app/broadcasts/{broadcast.uuid}/cancel/")
    assert _message(response) == "This broadcast has already ended."
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELED and not Message.objects.exists()


def test_inbox_unknown_filter_shows_everything(owner_client, business, contact):
    _inbound(business, contact, "Hello there")
    response = owner_client.get("/app/inbox/", {"assigned": "bogus"})
    assert response.context["assigned"] == "" and "Hello there" in response.content.decode()


def test_reply_refusals_keep_nothing(owner_client, business, contact):
    _inbound(business, contact, "Are you open?")
    url = f"/app/inbox/{contact.uuid}/reply/"
    response = owner_client.post(url, {"body": ""})
    assert _message(response) == "Write a reply first (at most 1600 characters)."
    owner_client.post(f"/app/contacts/{contact.uuid}/erase/")
    response = owner_client.post(url, {"body": "We are open."})
    assert "This contact has no phone number (erased?)." in _message(response)
    assert not Message.objects.filter(direction="outbound").exists()


def test_quick_reply_needs_a_name_and_a_text(owner_client, business, contact):
    response = owner_client.post(
        "/app/inbox/quick-replies/",
        {"qr-title": "", "qr-body": "9 to 5.", "next": f"/app/inbox/{contact.uuid}/"},
    )
    assert response["Location"] == f"/app/inbox/{contact.uuid}/"
    assert _message(response).startswith("A quick reply needs a name and a text")
    assert not QuickReply.objects.exists()
