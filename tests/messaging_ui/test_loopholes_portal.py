"""Issue 16 in the portal, as a person at a business would try it: compose (check, send now,
schedule) and the inbox reply. Refused or corrected with a clear reason on the page, and
judged at the simulated carrier with a real worker draining the queue."""

import html
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from consent.models import Contact
from messaging import services
from messaging.models import Message
from policies.models import Category, Term
from policies.services import rule_change_record
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, opted_in_contact
from tests.factories.messaging import consenting_contact, sending_number
from tests.messaging.conftest import celery_procs  # noqa: F401  (real workers, this test)

S = Message.Status
PROMO = "Your order #4471 has shipped! Use code THANKS10 for 10% off your next order."


def _compose(client, **data):
    data.setdefault("kind", "transactional")
    data.setdefault("when", "now")
    data.setdefault("zone_basis", "recipient")
    data.setdefault("action", "send")
    return client.post("/app/compose/", data)


def _page(client, response) -> str:
    assert response.status_code == 302, response.content[:500]
    return html.unescape(client.get(response["Location"]).content.decode())


def _last() -> Message:
    return Message.objects.filter(direction="outbound").order_by("-id").first()


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    states = list(Message.objects.values_list("body", "status", "reasons"))
    raise AssertionError(f"timed out waiting for {what}: {states}")


@pytest.mark.django_db(transaction=True)
def test_a_portal_sender_cannot_get_around_the_rules(
    owner_client,
    business,
    carrier,
    celery_procs,  # noqa: F811 (the imported fixture)
    settings,
):
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.CARRIER_URL = carrier.url
    settings.MESSAGING_REPLY_WINDOW_HOURS = 24
    number = sending_number(business=business)  # automated MIXED campaign
    manual = sending_number(
        business=business, campaign=CampaignFactory(business=business, automated=False)
    )
    informed = opted_in_contact(business=business, kind="informational", phone="+16465550121")
    regular = opted_in_contact(business=business, campaign=manual.campaign, phone="+16465550122")
    fan = consenting_contact(business=business, number=number, phone="+16465550123")

    # 1. the dry run and the send both say the offer is judged as marketing
    check = _compose(
        owner_client,
        to=informed.phone_e164,
        body=PROMO,
        from_number=str(number.uuid),
        action="check",
    )
    assert "reads as marketing: “10% off”" in html.unescape(check.content.decode())
    page = _page(
        owner_client,
        _compose(owner_client, to=informed.phone_e164, body=PROMO, from_number=str(number.uuid)),
    )
    promo = _last()
    assert (promo.status, promo.kind) == (S.BLOCKED, "marketing")
    assert "Not sent:" in page and "Sent as transactional, but it reads as marketing" in page

    # 2. a person pressing send now is not automated; the same text scheduled is
    page = _page(
        owner_client,
        _compose(
            owner_client,
            to=regular.phone_e164,
            body="Your table is ready.",
            from_number=str(manual.uuid),
        ),
    )
    by_hand = _last()
    assert (by_hand.status, by_hand.automated) == (S.QUEUED, False)  # no STOP text needed
    tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = _page(
        owner_client,
        _compose(
            owner_client,
            to=regular.phone_e164,
            body="Your table is ready.",
            from_number=str(manual.uuid),
            when="later",
            send_at=tomorrow,
        ),
    )
    scheduled = _last()
    assert (scheduled.status, scheduled.automated) == (S.BLOCKED, True)
    # 5. ... so it needs an automated campaign and opt-out text, and the page says both
    assert "Automated messages need a campaign registered for automated messaging" in page
    assert "Automated messages must say how to stop getting them" in page

    # 4. the inbox: a reply answers the contact's own recent text, as conversation
    stranger = ContactFactory(business=business, phone="+16465550124")
    old = services.inbound_receive(
        to_number=number.e164, from_phone=stranger.phone_e164, body="Open Sunday?", provider="sim"
    )
    long_ago = timezone.now() - timedelta(hours=30)
    Message.objects.filter(pk=old.pk).update(created_at=long_ago)
    Contact.objects.filter(pk=stranger.pk).update(last_inbound_at=long_ago)
    thread = f"/app/inbox/{stranger.uuid}/"
    assert "more than 24 hours ago" in html.unescape(owner_client.get(thread).content.decode())
    page = _page(owner_client, owner_client.post(thread + "reply/", {"body": "Yes, 10 to 4."}))
    assert _last().status == S.BLOCKED
    assert "must answer the contact's own text within 24 hours" in page
    services.inbound_receive(
        to_number=number.e164, from_phone=stranger.phone_e164, body="And Monday?", provider="sim"
    )
    _page(owner_client, owner_client.post(thread + "reply/", {"body": "Monday 9 to 5."}))
    answer = _last()
    assert (answer.status, answer.automated, answer.kind) == (S.QUEUED, False, "conversational")
    page = _page(
        owner_client,
        owner_client.post(thread + "reply/", {"body": "Monday 9 to 5, and book now for 20% off!"}),
    )
    assert (_last().status, _last().kind) == (S.BLOCKED, "marketing")
    assert "reads as marketing: “20% off”" in page
    assert "must be a conversational answer; this one is marketing" in page

    # 7. a message waiting in the queue while staff change the rules is held at dispatch
    _page(
        owner_client,
        _compose(
            owner_client,
            to=fan.phone_e164,
            body="Bring your kumquat voucher on Tuesday.",
            from_number=str(number.uuid),
        ),
    )
    waiting = _last()
    assert waiting.status == S.QUEUED
    category, _ = Category.objects.get_or_create(
        slug="fraud_deceptive", defaults={"name": "Fraud", "explain": "Deceptive content."}
    )
    term = Term.objects.create(
        rule_id="content.test.kumquat_portal",
        category=category,
        phrase="kumquat voucher",
        verdict="block",
        fuzzy=False,
    )
    rule_change_record(
        kind="term", rule=term.rule_id, action="add", before=None, after={"phrase": term.phrase}
    )

    celery_procs("worker", "w")
    _wait(
        lambda: (
            Message.objects.filter(pk__in=[by_hand.pk, answer.pk], status=S.SENT).count() == 2
            and Message.objects.filter(pk=waiting.pk, status=S.HELD).exists()
        ),
        90,
        "the two good texts sent and the waiting one held",
    )
    detail = html.unescape(owner_client.get(f"/app/messages/{waiting.uuid}/").content.decode())
    assert "Held for review" in detail
    assert "The content rules changed after it was queued." in detail
    landed = {e["message_id"] for e in carrier.audit() if not e.get("duplicate")}
    assert landed == {str(by_hand.uuid), str(answer.uuid)}  # nothing refused reached it
