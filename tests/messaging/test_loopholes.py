"""Issue 16, messaging half: what a careless or determined sender tries through the API and
the send services, refused or corrected with a clear reason, and judged where it counts —
the simulated carrier's audit log, with a real Celery worker draining the queue.

1. the kind is read from the content (promotional "transactional" is marketing);
2. automated by channel (the API cannot say otherwise);
4. a reply rests on the conversation only within the reply window, and only as conversation;
5. opt-out text on every automated message (keyword answers and passcodes excepted);
7. a rule change re-checks waiting messages at dispatch and holds what now fails.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import selectors, services
from messaging.gates import CHANNELS, Candidate, automated_for, message_gates
from messaging.models import Message
from policies.models import Category, Term
from policies.services import rule_change_record
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, opted_in_contact
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
PROMO = "Your order #4471 has shipped! Use code THANKS10 for 10% off your next order."
STOP = " Reply STOP to opt out."


@pytest.fixture
def number(business):
    return sending_number(business=business)  # an automated MIXED campaign


@pytest.fixture
def manual(business):
    """A number on an approved campaign NOT registered as automated."""
    return sending_number(
        business=business, campaign=CampaignFactory(business=business, automated=False)
    )


@pytest.fixture
def informed(business):
    """Consent for informational / transactional texts only (no marketing)."""
    return opted_in_contact(business=business, kind="informational", phone="+16465550111")


@pytest.fixture
def fan(business, number):
    """Marketing consent for the number's campaign."""
    return consenting_contact(business=business, number=number, phone="+16465550112")


def _send(api_client, **payload):
    response = api_client.post("/api/v1/messages/", payload, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _codes(data: dict) -> list[str]:
    return [r["code"] for r in data["reasons"]]


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    states = list(Message.objects.values_list("body", "status", "reasons"))
    raise AssertionError(f"timed out waiting for {what}: {states}")


# --- through the API, drained by a real worker to the simulated carrier ----------------------


@pytest.mark.django_db(transaction=True)
def test_the_api_cannot_declare_its_way_past_a_gate(
    api_client, business, number, manual, informed, fan, carrier, celery_procs, settings
):
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.CARRIER_URL = carrier.url

    # 1. an offer declared transactional is judged as marketing, and the reason says so
    promo = _send(api_client, contact=str(informed.uuid), body=PROMO, kind="transactional")
    assert promo["status"] == "BLOCKED" and promo["kind"] == "marketing"
    assert _codes(promo)[:2] == ["reads_as_marketing", "no_consent"]
    assert "reads as marketing: “10% off”" in promo["outcome"]["reason"]
    assert promo["reasons"][0]["detail"] == {"declared": "transactional", "evidence": "10% off"}
    policy = next(r for r in promo["reasons"] if r["gate"] == "policy")
    assert "missing_opt_out" in policy["detail"]["categories"]  # marketing needs STOP text

    # 2. "automated": false in the request changes nothing: an API send is automated
    manual_send = _send(
        api_client,
        to="+16465550113",
        body="Your table is ready." + STOP,
        kind="transactional",
        from_number=str(manual.uuid),
        automated=False,
    )
    assert manual_send["automated"] is True and manual_send["status"] == "BLOCKED"
    assert "campaign_not_automated" in _codes(manual_send)

    # 5. an automated transactional text without opt-out language is refused
    bare = _send(
        api_client, contact=str(fan.uuid), body="Your table is ready.", kind="transactional"
    )
    assert bare["status"] == "BLOCKED" and _codes(bare) == ["missing_opt_out"]
    assert "Automated messages must say how to stop" in bare["outcome"]["reason"]
    chat = _send(api_client, contact=str(fan.uuid), body="See you at 3!", kind="conversational")
    assert chat["status"] == "BLOCKED"  # an API "conversation" is automated too

    # ... except a passcode, and genuine receipts stay what they are
    code = _send(
        api_client,
        contact=str(fan.uuid),
        body="Your verification code is 482913. It expires in 10 minutes.",
        kind="transactional",
    )
    receipt = _send(
        api_client,
        contact=str(informed.uuid),
        body="Receipt: haircut $45.00, total $54.00. Thank you!" + STOP,
        kind="transactional",
    )
    assert (code["status"], code["kind"], code["reasons"]) == ("QUEUED", "transactional", [])
    assert (receipt["status"], receipt["kind"], receipt["reasons"]) == (
        "QUEUED",
        "transactional",
        [],
    )

    celery_procs("worker", "w")
    sent = {code["uuid"], receipt["uuid"]}
    _wait(
        lambda: Message.objects.filter(uuid__in=sent, status=S.SENT).count() == 2,
        90,
        "the passcode and the receipt sent",
    )
    landed = {e["message_id"] for e in carrier.audit() if not e.get("duplicate")}
    assert landed == sent  # nothing refused reached the carrier
    assert Message.objects.filter(status=S.BLOCKED).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_rule_change_holds_waiting_messages_at_dispatch(
    api_client, business, number, fan, carrier, celery_procs, settings
):
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.CARRIER_URL = carrier.url
    soon = (timezone.now() + timedelta(seconds=3)).isoformat()
    waiting = _send(
        api_client,
        contact=str(fan.uuid),
        body="Bright Smile: bring your kumquat voucher on Tuesday." + STOP,
        kind="transactional",
        send_at=soon,
    )
    fine = _send(
        api_client,
        contact=str(fan.uuid),
        body="Bright Smile: your cleaning is on Tuesday." + STOP,
        kind="transactional",
        send_at=soon,
    )
    assert waiting["status"] == fine["status"] == "SCHEDULED"

    # staff add a rule while both wait
    category, _ = Category.objects.get_or_create(  # a transactional test starts empty
        slug="fraud_deceptive", defaults={"name": "Fraud", "explain": "Deceptive content."}
    )
    term = Term.objects.create(
        rule_id="content.test.kumquat_voucher",
        category=category,
        phrase="kumquat voucher",
        verdict="block",
        fuzzy=False,
    )
    rule_change_record(
        kind="term", rule=term.rule_id, action="add", before=None, after={"phrase": term.phrase}
    )
    later = _send(
        api_client,
        contact=str(fan.uuid),
        body="Bright Smile: bring your kumquat voucher on Friday." + STOP,
        kind="transactional",
    )
    assert later["status"] == "BLOCKED"  # a message queued after the change: at enqueue

    celery_procs("worker", "w")
    celery_procs("beat", "beat")
    _wait(
        lambda: (
            Message.objects.filter(uuid=fine["uuid"], status=S.SENT).exists()
            and Message.objects.filter(uuid=waiting["uuid"], status=S.HELD).exists()
        ),
        90,
        "the waiting message held and the other sent",
    )
    held = api_client.get(f"/api/v1/messages/{waiting['uuid']}/").json()
    (reason,) = held["reasons"]
    assert reason["gate"] == "policy" and reason["code"] == "block"
    assert reason["message"].startswith("The content rules changed after it was queued.")
    assert held["outcome"]["label"] == "held for review"
    assert "rules changed after it was queued" in held["outcome"]["reason"]
    message = Message.objects.get(uuid=waiting["uuid"])
    assert message.reasons[-1]["at"] == "dispatch"
    assert message.reasons[-1]["detail"]["rules_changed"] is True
    landed = {e["message_id"] for e in carrier.audit() if not e.get("duplicate")}
    assert landed == {fine["uuid"]}

    # staff may release it: it is queued again and not held a second time
    released = services.message_review(message=message, release=True, note="a false alarm")
    assert released.status == S.QUEUED
    _wait(
        lambda: Message.objects.filter(uuid=waiting["uuid"], status=S.SENT).exists(),
        60,
        "the released message sent",
    )


# --- the gates, asked directly ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "scheduled", "purpose", "automated"),
    [
        ("portal", False, "", False),
        ("inbox", False, "", False),
        ("portal", True, "", True),
        ("inbox", False, "help_reply", True),
        *[(c, False, "", True) for c in CHANNELS if c not in ("portal", "inbox")],
    ],
)
def test_only_a_person_sending_now_in_the_portal_is_not_automated(
    channel, scheduled, purpose, automated
):
    assert automated_for(channel=channel, scheduled=scheduled, purpose=purpose) is automated


@pytest.mark.django_db
def test_an_unknown_channel_is_refused(business, fan):
    with pytest.raises(ValueError):
        automated_for(channel="sender-says-so")
    from messaging.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.message_enqueue(
            business=business, body="Hi" + STOP, kind="transactional", contact=fan, channel="x"
        )
    assert "channel" in exc.value.fields


@pytest.mark.django_db
def test_automated_true_can_only_add_never_take_away(business, manual):
    contact = opted_in_contact(business=business, campaign=manual.campaign)
    person = services.message_enqueue(
        business=business,
        body="See you soon.",
        kind="transactional",
        contact=contact,
        from_number=manual,
        channel="portal",
    )
    assert (person.status, person.automated) == (S.QUEUED, False)
    forced = services.message_enqueue(
        business=business,
        body="See you soon." + STOP,
        kind="transactional",
        contact=contact,
        from_number=manual,
        channel="portal",
        automated=True,
    )
    assert forced.automated and forced.status == S.BLOCKED


@pytest.mark.django_db
def test_a_reply_rests_on_the_conversation_only_inside_the_window(business, number, settings):
    settings.MESSAGING_REPLY_WINDOW_HOURS = 24
    stranger = ContactFactory(business=business, phone="+16465550114")
    inbound = services.inbound_receive(
        to_number=number.e164,
        from_phone=stranger.phone_e164,
        body="Do you have time on Friday?",
        provider="simulated",
    )
    stranger.refresh_from_db()  # texted in: last_inbound_at is set

    def reply(body: str, **kw) -> Message:
        return services.message_enqueue(
            business=business,
            body=body,
            kind="conversational",
            contact=stranger,
            reply_to=inbound,
            channel="inbox",
            **kw,
        )

    assert reply("Yes, 10am works.").status == S.QUEUED
    promo = reply("Yes! And book now for 20% off whitening.")
    assert promo.status == S.BLOCKED and promo.kind == "marketing"
    consent = next(r for r in promo.reasons if r["gate"] == "consent")
    assert "must be a conversational answer; this one is marketing" in consent["message"]
    late = reply("Yes, 10am works.", send_at=timezone.now() + timedelta(hours=25))
    assert late.status == S.BLOCKED
    assert "within 24 hours" in next(r for r in late.reasons if r["gate"] == "consent")["message"]

    Message.objects.filter(pk=inbound.pk).update(created_at=timezone.now() - timedelta(hours=30))
    inbound.refresh_from_db()
    stale = reply("Sorry for the slow answer: yes, Friday works.")
    assert stale.status == S.BLOCKED
    consent = next(r for r in stale.reasons if r["gate"] == "consent")
    assert consent["code"] == "conversation_only" and "30 hours old" in consent["message"]

    # a "reply" to one of our own texts is no conversation at all
    ours = reply("Yes, 10am works.")
    not_theirs = services.message_enqueue(
        business=business,
        body="Also, 11 works.",
        kind="conversational",
        contact=stranger,
        reply_to=ours,
        channel="inbox",
    )
    assert not_theirs.status == S.BLOCKED


@pytest.mark.django_db
def test_the_api_can_never_reply_on_the_strength_of_a_conversation(api_client, business, number):
    services.inbound_receive(
        to_number=number.e164,
        from_phone="+16465550115",
        body="What are your hours?",
        provider="simulated",
    )
    data = _send(api_client, to="+16465550115", body="9 to 5." + STOP, kind="conversational")
    assert data["status"] == "BLOCKED" and "conversation_only" in _codes(data)


@pytest.mark.django_db
def test_keyword_answers_go_out_on_a_campaign_not_registered_as_automated(business, manual):
    contact = opted_in_contact(business=business, campaign=manual.campaign)
    services.inbound_receive(
        to_number=manual.e164, from_phone=contact.phone_e164, body="STOP", provider="simulated"
    )
    confirmation = Message.objects.get(purpose="opt_out_confirmation")
    # automated (a keyword answer), yet queued: the FCC allows and carriers expect this one
    assert confirmation.automated and confirmation.status == S.QUEUED


@pytest.mark.django_db
def test_the_compose_dry_run_shows_the_kind_it_judged(business, number, informed):
    check = selectors.compose_precheck(
        business=business, body=PROMO, kind="informational", contact=informed
    )
    gates = {g["gate"]: g for g in check["gates"]}
    assert check["verdict"] == "block"
    assert gates["kind"]["verdict"] == "reclassify" and gates["kind"]["ok"]
    assert "Sent as informational, but it reads as marketing: “10% off”" in gates["kind"]["message"]


@pytest.mark.django_db
def test_bulk_and_single_gates_agree_on_the_kind(business, number, informed, fan):
    items = [
        Candidate(contact=c, body=b, kind="transactional", from_number=number, to_phone="")
        for c in (informed, fan)
        for b in (PROMO, "Your table is ready." + STOP)
    ]
    decisions = message_gates(business=business, items=items)
    assert [d.kind for d in decisions] == ["marketing", "transactional"] * 2
    assert [d.verdict for d in decisions] == ["block", "allow", "block", "allow"]


@pytest.mark.django_db
def test_the_yes_request_answering_a_join_keyword_is_a_keyword_answer(business, manual):
    contact = ContactFactory(business=business, phone="+16465550116")
    body = (
        "Bright Smile: Responda SI para confirmar que desea mensajes recurrentes. "
        "Responda AYUDA para ayuda, PARAR para cancelar."
    )

    def failed(**kw) -> dict:
        (decision,) = message_gates(
            business=business,
            items=[
                Candidate(
                    contact=contact,
                    body=body,
                    kind="transactional",
                    from_number=manual,
                    purpose="double_opt_in",
                    **kw,
                )
            ],
        )
        return {g.gate: g.code for g in decision.failed}

    # answering the contact's JOIN: any approved campaign, its own opt-out wording
    assert failed(reply_to_at=timezone.now()).keys() <= {"consent"}
    # the same text sent on the platform's own initiative is an automated text like any other
    # (its Spanish opt-out wording, "PARAR para cancelar", is opt-out language)
    assert failed() == {
        "number": "campaign_not_automated",
        "consent": "no_consent",
    }
