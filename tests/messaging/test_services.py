"""message_enqueue gates, inbound keywords, cancel, broadcasts, status callbacks (DB)."""

import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import AuditEvent
from campaigns.models import Campaign
from consent.selectors import consent_check
from messaging import selectors, services
from messaging.models import Broadcast, Message, SendLane, StatusCallback
from messaging.services import broadcasts, enqueue
from policies.decisions import Decision, Reason
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    return consenting_contact(business=business, number=number)


def test_enqueue_queues_with_segments_and_priority(business, number, contact):
    m = services.message_enqueue(
        business=business,
        body="Hi € there. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    assert m.status == S.QUEUED
    assert (m.encoding, m.segments) == ("GSM-7", 1)
    assert m.from_number == number
    assert m.to_phone == contact.phone_e164
    assert m.priority == 20 and m.send_after is not None and m.expires_at > m.send_after
    assert m.reasons == []


def test_enqueue_is_idempotent(business, number, contact):
    a = services.message_enqueue(
        business=business, body="One", kind="transactional", contact=contact, idempotency_key="k1"
    )
    b = services.message_enqueue(
        business=business, body="Two", kind="transactional", contact=contact, idempotency_key="k1"
    )
    assert a.pk == b.pk and Message.objects.count() == 1


def test_enqueue_blocks_without_consent_and_says_why(business, number):
    stranger = ContactFactory(business=business, phone="+16465550111")
    m = services.message_enqueue(
        business=business,
        body="Spring sale at Bright Smile! Reply STOP to opt out.",
        kind="marketing",
        contact=stranger,
    )
    assert m.status == S.BLOCKED
    assert [(r["gate"], r["code"]) for r in m.reasons] == [("consent", "no_consent")]


def test_enqueue_blocks_on_unapproved_campaign(business, number, contact):
    Campaign.objects.filter(pk=number.campaign_id).update(status=Campaign.Status.SUSPENDED)
    number.refresh_from_db()
    m = services.message_enqueue(
        business=business, body="Hi", kind="transactional", contact=contact, from_number=number
    )
    assert m.status == S.BLOCKED
    assert ("number", "campaign_not_approved") in [(r["gate"], r["code"]) for r in m.reasons]


def test_policy_review_holds(business, number, contact, monkeypatch):
    review = Decision((Reason("content.test", "lending", "review", "Looks like a loan offer."),))
    monkeypatch.setattr("policies.services.message_check", lambda **kw: review)
    m = services.message_enqueue(
        business=business,
        body="Loans! Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    assert m.status == S.HELD
    assert m.reasons[0]["gate"] == "policy" and m.reasons[0]["detail"]["categories"] == ["lending"]
    released = services.message_review(message=m, release=True, note="fine")
    assert released.status == S.QUEUED


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "spam"}, "kind"),
        ({"body": "  "}, "body"),
        ({"body": "x" * 1601}, "body"),
        ({"contact": None}, "to"),
        ({"contact": None, "to_phone": "12"}, "to_phone"),
        ({"purpose": "newsletter"}, "purpose"),
        ({"body": "€" * 1600}, "body"),  # 23 UCS-2 segments: more than the cap of 20
        ({"contact": "another business's"}, "contact"),
        ({"contact": "erased"}, "contact"),
    ],
)
def test_enqueue_rejects_bad_input(business, other_business, contact, fields, error, settings):
    from consent.services import contact_erase

    settings.MESSAGING_RATE_LIMIT = 20
    if fields.get("contact") == "another business's":
        fields["contact"] = ContactFactory(business=other_business)
    elif fields.get("contact") == "erased":
        fields["contact"] = contact_erase(business=business, contact=contact)
    args = {"business": business, "body": "Hi", "kind": "transactional", "contact": contact}
    args.update(fields)
    with pytest.raises(ValidationFailed) as exc:
        services.message_enqueue(**args)
    assert error in exc.value.fields
    assert not Message.objects.exists()


def test_enqueue_to_phone_creates_the_contact(business, number):
    m = services.message_enqueue(
        business=business, body="Hi", kind="marketing", to_phone="(646) 555-0199"
    )
    assert m.to_phone == "+16465550199" and m.contact is not None
    assert m.status == S.BLOCKED  # a fresh contact has no consent


def test_quiet_hours_defer_at_enqueue(business, number, contact, monkeypatch):
    # 03:00 UTC = 22:00 in New York: marketing waits until 8:00 (13:00 UTC).
    fixed = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    m = services.message_enqueue(
        business=business,
        body="Spring sale at Bright Smile! Reply STOP to opt out.",
        kind="marketing",
        contact=contact,
    )
    assert m.status == S.SCHEDULED
    assert m.send_after == datetime(2026, 3, 3, 13, 0, tzinfo=UTC)
    assert m.reasons[0]["code"] == "quiet_hours_deferred"
    # Transactional messages are not solicitations: no deferral.
    t = services.message_enqueue(
        business=business,
        body="Receipt. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    assert t.status == S.QUEUED


def test_send_at_schedules_and_cancel(business, number, contact):
    later = timezone.now() + timezone.timedelta(hours=2)
    m = services.message_enqueue(
        business=business,
        body="Later. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
        send_at=later,
    )
    assert m.status == S.SCHEDULED and m.send_after == later
    canceled = services.message_cancel(business=business, message=m)
    assert canceled.status == S.CANCELED
    with pytest.raises(Conflict):
        services.message_cancel(business=business, message=canceled)


def test_lane_kick_sends_one_task_per_drain(business, number, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "messaging.tasks.drain_number.apply_async",
        lambda args, eta=None, **kw: sent.append((args, eta)),
    )
    assert services.lane_kick(business_id=business.pk, number_id=number.pk)
    assert not services.lane_kick(business_id=business.pk, number_id=number.pk)
    assert len(sent) == 1 and SendLane.objects.get(number=number).drain_at is not None
    # an earlier-due message than the expected drain kicks again
    SendLane.objects.filter(number=number).update(
        drain_at=timezone.now() + timezone.timedelta(minutes=5)
    )
    assert services.lane_kick(business_id=business.pk, number_id=number.pk)
    assert len(sent) == 2


# --- inbound keywords (table-driven) ---------------------------------------------------------

OPT_OUT_TEXTS = [
    "STOP",
    "stop",
    "Stop all",
    "UNSUBSCRIBE",
    "cancel",
    "end",
    "quit",
    "revoke",
    "opt-out",
    "OPT OUT",
    "remove",
    "please stop texting me",
]


@pytest.mark.parametrize("text", OPT_OUT_TEXTS)
def test_inbound_opt_out_records_first_and_confirms_once(business, number, contact, text):
    inbound = services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body=text, provider="simulated"
    )
    assert inbound.status == S.RECEIVED and inbound.direction == "inbound"
    assert consent_check(
        business=business, contact=contact, kind="marketing", campaign=number.campaign
    ).code in ("opted_out", "suppressed")
    replies = list(Message.objects.filter(reply_to=inbound))
    assert len(replies) == 1
    assert replies[0].purpose == "opt_out_confirmation"
    assert replies[0].body == number.campaign.optout_message
    assert replies[0].status == S.QUEUED and replies[0].priority == 0


def test_inbound_help_answers_even_unsubscribed(business, number):
    inbound = services.inbound_receive(
        to_number=number.e164, from_phone="+16465550123", body="Help", provider="simulated"
    )
    reply = Message.objects.get(reply_to=inbound)
    assert reply.purpose == "help_reply" and reply.body == number.campaign.help_message
    assert reply.status == S.QUEUED


@pytest.mark.parametrize("text", ["START", "unstop", "Yes"])
def test_inbound_start_resubscribes(business, number, contact, text):
    services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body="STOP", provider="simulated"
    )
    assert not consent_check(
        business=business, contact=contact, kind="marketing", campaign=number.campaign
    ).allowed
    inbound = services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body=text, provider="simulated"
    )
    assert consent_check(
        business=business, contact=contact, kind="marketing", campaign=number.campaign
    ).allowed
    assert Message.objects.get(reply_to=inbound).purpose == "opt_in_confirmation"


def test_inbound_yes_confirms_pending_double_opt_in(business, number):
    from consent import services as consent_services

    pending = ContactFactory(business=business, phone="+16465550177")
    consent_services.consent_record_opt_in(
        business=business,
        contact=pending,
        method="WEB_FORM",
        campaign=number.campaign,
        evidence={"disclosure_text": "By checking this box…", "page_url": "https://x.example/f"},
        double_opt_in=True,
    )
    assert (
        consent_check(
            business=business, contact=pending, kind="marketing", campaign=number.campaign
        ).code
        == "pending_double_opt_in"
    )
    services.inbound_receive(
        to_number=number.e164, from_phone="+16465550177", body="YES", provider="simulated"
    )
    assert consent_check(
        business=business, contact=pending, kind="marketing", campaign=number.campaign
    ).allowed


def test_inbound_other_text_goes_to_inbox_without_reply(business, number, contact):
    inbound = services.inbound_receive(
        to_number=number.e164,
        from_phone=contact.phone_e164,
        body="Can I come at 3?",
        provider="simulated",
    )
    assert inbound.reasons == [] and not Message.objects.filter(reply_to=inbound).exists()
    assert consent_check(
        business=business, contact=contact, kind="marketing", campaign=number.campaign
    ).allowed


def test_inbound_to_unknown_number_is_ignored(business):
    assert (
        services.inbound_receive(
            to_number="+19995550000", from_phone="+16465550123", body="STOP", provider="simulated"
        )
        is None
    )


def test_inbound_provider_retry_is_stored_once(business, number, contact):
    a = services.inbound_receive(
        to_number=number.e164,
        from_phone=contact.phone_e164,
        body="hi",
        provider="simulated",
        provider_id="MO1",
    )
    b = services.inbound_receive(
        to_number=number.e164,
        from_phone=contact.phone_e164,
        body="hi",
        provider="simulated",
        provider_id="MO1",
    )
    assert a.pk == b.pk


# --- broadcasts ---------------------------------------------------------------------------------


def test_broadcast_fans_out_with_per_recipient_outcome(business, number, settings):
    settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW = 5, 2
    ok = [consenting_contact(business=business, number=number, tags=["vip"]) for _ in range(6)]
    no_consent = ContactFactory(business=business, phone="+16465560155", tags=["vip"])
    b = services.broadcast_create(
        business=business,
        name="Spring",
        # a notice, not an offer: an offer reads as marketing, which waits out the
        # recipients' quiet hours (SCHEDULED) when the suite runs at night in the US
        body="Bright Smile: we are closed on Friday. Reply STOP to opt out.",
        kind="transactional",
        from_number=number,
        tags=["vip"],
    )
    assert b.recipient_count == 7
    assert b.estimate_seconds == 2.0  # 7 segments: 5 now, 2 after one window
    services.broadcast_start(broadcast=b)
    services.broadcast_start(broadcast=b)  # idempotent per recipient
    msgs = Message.objects.filter(broadcast=b)
    assert msgs.count() == 7
    assert msgs.filter(status=S.QUEUED).count() == 6
    assert msgs.get(contact=no_consent).status == S.BLOCKED
    assert {m.contact_id for m in msgs} == {c.pk for c in ok} | {no_consent.pk}
    assert services.broadcast_cancel(broadcast=b) == msgs.filter(status=S.CANCELED).count()


def _broadcast(business, number, n):
    for _ in range(n):
        consenting_contact(business=business, number=number, tags=["vip"])
    return services.broadcast_create(
        business=business,
        name="Notice",
        body="Bright Smile: we are closed on Friday. Reply STOP to opt out.",
        kind="transactional",
        from_number=number,
        tags=["vip"],
    )


def test_an_interrupted_fan_out_resumes_from_its_cursor(business, number, monkeypatch):
    monkeypatch.setattr(broadcasts, "FANOUT_BATCH", 3)
    sent = []
    monkeypatch.setattr("messaging.tasks.broadcast_start.delay", lambda pk: sent.append(pk))
    b = _broadcast(business, number, 8)
    real = services.message_enqueue_many
    calls = {"n": 0}

    def dies_on_the_second_batch(**kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real(**kw)

    monkeypatch.setattr(broadcasts, "message_enqueue_many", dies_on_the_second_batch)
    with pytest.raises(RuntimeError):
        services.broadcast_start(broadcast=b)
    b.refresh_from_db()
    assert Message.objects.filter(broadcast=b).count() == 3
    assert b.status == "RUNNING" and b.fanned_out_at is None and b.fanout_cursor > 0
    # its messages all settle, but a broadcast whose fan-out did not finish is not complete
    Message.objects.filter(broadcast=b).update(status=S.DELIVERED)
    assert services.broadcast_refresh(broadcast=b).status == "RUNNING"
    # recovery: nothing while the fan-out is fresh, a resume once it is idle past the grace
    assert services.broadcast_fanouts_resume() == 0
    later = timezone.now() + timezone.timedelta(minutes=5)
    assert services.broadcast_fanouts_resume(now=later) == 1 and sent == [b.pk]
    assert services.broadcast_fanouts_resume(now=later) == 0  # claimed once
    resumed = services.broadcast_start(broadcast=b)
    msgs = Message.objects.filter(broadcast=b)
    assert msgs.count() == 8 and len({m.contact_id for m in msgs}) == 8
    assert resumed.fanned_out_at is not None and resumed.recipient_count == 8
    actions = list(
        AuditEvent.objects.filter(action__startswith="broadcast.").values_list("action", flat=True)
    )
    assert "broadcast.start" in actions and "broadcast.resume" in actions


def test_a_fan_out_stops_at_the_next_batch_once_canceled(business, number, monkeypatch):
    monkeypatch.setattr(broadcasts, "FANOUT_BATCH", 3)
    b = _broadcast(business, number, 9)
    real = services.message_enqueue_many

    def cancel_after_first(**kw):
        out = real(**kw)
        Broadcast.objects.filter(pk=b.pk).update(status=Broadcast.Status.CANCELED)
        return out

    monkeypatch.setattr(broadcasts, "message_enqueue_many", cancel_after_first)
    services.broadcast_start(broadcast=b)
    assert Message.objects.filter(broadcast=b).count() == 3


# --- status callbacks ---------------------------------------------------------------------


def test_status_callbacks_apply_in_batches(business, number, contact):
    m = services.message_enqueue(
        business=business, body="Hi", kind="transactional", contact=contact
    )
    Message.objects.filter(pk=m.pk).update(status=S.SENT, provider_id="SM1")
    services.status_callback_store(
        provider="simulated", status="delivered", message_uuid=m.uuid, provider_id="SM1"
    )
    services.status_callback_store(
        provider="simulated", status="sent", message_uuid=m.uuid
    )  # late, older
    services.status_callback_store(
        provider="simulated", status="delivered", message_uuid=None, provider_id="nope"
    )
    assert services.status_callbacks_apply() == 1
    m.refresh_from_db()
    assert m.status == S.DELIVERED and m.delivered_at is not None
    assert StatusCallback.objects.count() == 0


# --- selectors ----------------------------------------------------------------------------------


def test_selectors_scope_by_business_and_report_outcomes(business, other_business, number):
    from accounts.errors import NotFound

    ok = consenting_contact(business=business, number=number, tags=["t"])
    ContactFactory(business=business, phone="+16465550166", tags=["t"])  # no consent
    b = services.broadcast_create(
        business=business,
        name="B",
        body="Hello. Reply STOP to opt out.",
        kind="transactional",
        from_number=number,
        tags=["t"],
    )
    services.broadcast_start(broadcast=b)
    progress = selectors.broadcast_progress(broadcast=b)
    assert (progress["pending"], progress["skipped"]) == (1, 1)
    outcomes = {
        m.contact_id: selectors.message_outcome(m)
        for m in selectors.broadcast_recipients(broadcast=b)
    }
    assert (outcomes[ok.pk].label, outcomes[ok.pk].reason) == ("waiting", "")
    (skipped,) = (o for contact_id, o in outcomes.items() if contact_id != ok.pk)
    assert skipped.label == "skipped" and "has not consented" in skipped.reason
    with pytest.raises(NotFound):
        selectors.broadcast_get(business=other_business, broadcast_uuid=b.uuid)
    m = Message.objects.filter(contact=ok).first()
    assert selectors.message_get(business=business, message_uuid=m.uuid) == m
    with pytest.raises(NotFound):
        selectors.message_get(business=other_business, message_uuid=m.uuid)
    assert selectors.number_queue(business=business, number=number)["waiting"] == 1
    with pytest.raises(NotFound):
        selectors.number_queue(business=other_business, number=number)


@pytest.mark.parametrize(
    ("zone", "contact_zone", "expected_utc_hour"),
    [
        ("recipient", "America/Los_Angeles", 17),
        ("business", "America/Los_Angeles", 14),
        ("recipient", "Central Time", 14),  # older data zoneinfo cannot load: the business's
    ],
)
def test_send_at_local_time_zones(business, zone, contact_zone, expected_utc_hour):
    contact = ContactFactory(business=business, time_zone=contact_zone)
    business.time_zone = "America/New_York"
    # the compose page and the API read a wall-clock time in one of these two zones
    in_zone = (
        selectors.recipient_zone(business=business, contact=contact)
        if zone == "recipient"
        else selectors.business_zone(business)
    )
    at = selectors.localize(datetime(2026, 3, 3, 9, 0), in_zone)
    assert at.astimezone(UTC).hour == expected_utc_hour


def test_a_reply_goes_from_the_line_the_person_texted_with_reply_priority(business, number):
    other_line = sending_number(business=business, e164="+13125550001")  # sorts first
    contact = consenting_contact(business=business, number=number)
    inbound = services.inbound_receive(
        to_number=number.e164,
        from_phone=contact.phone_e164,
        body="What time is my appointment?",
        provider="simulated",
    )
    reply = services.message_enqueue(
        business=business,
        body="3pm.",
        kind="conversational",
        contact=contact,
        reply_to=inbound,
        channel="inbox",
    )
    assert reply.status == S.QUEUED
    assert reply.from_number == number != other_line
    assert reply.priority == 10


def test_without_any_sending_number_the_message_is_blocked_and_says_why(business):
    contact = ContactFactory(business=business)
    m = services.message_enqueue(
        business=business, body="Hi", kind="transactional", contact=contact
    )
    assert m.status == S.BLOCKED and m.from_number is None
    assert {"gate": "number", "code": "no_number"}.items() <= m.reasons[0].items()


def test_a_failing_risk_report_does_not_break_the_send_path(business, number, monkeypatch):
    from policies import services as policy_services

    def broken(**kwargs):
        raise RuntimeError("risk store down")

    monkeypatch.setattr(policy_services, "message_outcome_report", broken)
    m = services.message_enqueue(
        business=business, body="Hi", kind="marketing", to_phone="(646) 555-0198"
    )
    assert m.status == S.BLOCKED and Message.objects.filter(pk=m.pk).exists()


def test_only_held_messages_can_be_reviewed(business, number, contact):
    m = services.message_enqueue(
        business=business,
        body="Hi. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    reasons = list(m.reasons)
    with pytest.raises(Conflict):
        services.message_review(message=m, release=True)
    m.refresh_from_db()
    assert (m.status, m.reasons) == (S.QUEUED, reasons)
    assert not AuditEvent.objects.filter(action__startswith="message.review").exists()


def test_inbound_from_a_number_that_is_not_a_phone_is_dropped(business, number):
    assert (
        services.inbound_receive(
            to_number=number.e164, from_phone="not-a-phone", body="STOP", provider="simulated"
        )
        is None
    )
    assert not Message.objects.exists()


def test_lane_kick_many_of_nothing_kicks_nothing(business):
    assert services.lane_kick_many(business_id=business.pk, dues={}) == 0
    assert not SendLane.objects.exists()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"kind": "spam"}, {"kind"}),
        ({"body": " "}, {"body"}),
        ({"body": "x" * 1601}, {"body"}),
        ({"from_number": None}, {"from_number"}),
        ({"from_number": "another business's"}, {"from_number"}),
        ({"tags": None}, {"audience"}),
    ],
)
def test_broadcast_create_names_the_wrong_fields_and_writes_nothing(
    business, other_business, number, change, fields
):
    if change.get("from_number") == "another business's":
        change["from_number"] = sending_number(business=other_business)
    args = {
        "business": business,
        "name": "Spring",
        "body": "Spring sale! Reply STOP to opt out.",
        "kind": "marketing",
        "from_number": number,
        "tags": ["vip"],
        **change,
    }
    with pytest.raises(ValidationFailed) as exc:
        services.broadcast_create(**args)
    assert set(exc.value.fields) == fields
    assert not Broadcast.objects.exists()


def test_a_canceled_broadcast_cannot_start(business, number):
    b = _broadcast(business, number, 2)
    services.broadcast_cancel(broadcast=b)
    with pytest.raises(Conflict):
        services.broadcast_start(broadcast=b)
    assert not Message.objects.filter(broadcast=b).exists()


def test_a_broadcast_completes_once_no_message_is_on_its_way(business, number):
    b = _broadcast(business, number, 2)
    assert services.broadcast_refresh(broadcast=b).status == Broadcast.Status.DRAFT
    b = services.broadcast_start(broadcast=b)
    first, second = Message.objects.filter(broadcast=b).order_by("id")
    services.message_cancel(business=business, message=first)
    assert services.broadcast_refresh(broadcast=b).status == Broadcast.Status.RUNNING
    services.message_cancel(business=business, message=second)
    done = services.broadcast_refresh(broadcast=b)
    assert done.status == Broadcast.Status.COMPLETED and done.finished_at is not None


def test_send_at_local_keeps_an_aware_time(business, contact):
    when = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    zone = selectors.recipient_zone(business=business, contact=contact)
    assert selectors.localize(when, zone) is when


def test_a_key_taken_by_a_concurrent_request_returns_its_message(
    business, number, contact, monkeypatch
):
    real = enqueue.message_gates

    def another_request_wins(**kw):
        # after this request found no message with the key, another one inserts it
        monkeypatch.setattr(enqueue, "message_gates", real)
        services.message_enqueue(
            business=business,
            body="Hi",
            kind="transactional",
            contact=contact,
            idempotency_key="retry-1",
        )
        return real(**kw)

    monkeypatch.setattr(enqueue, "message_gates", another_request_wins)
    m = services.message_enqueue(
        business=business,
        body="Hi",
        kind="transactional",
        contact=contact,
        idempotency_key="retry-1",
    )
    assert Message.objects.filter(business=business).count() == 1
    assert m.pk == Message.objects.get(idempotency_key="retry-1").pk


def test_a_cancel_before_the_last_partial_batch_stops_the_fan_out(business, number, monkeypatch):
    monkeypatch.setattr(broadcasts, "FANOUT_BATCH", 3)
    b = _broadcast(business, number, 4)
    real = services.message_enqueue_many

    def cancel_after_first(**kw):
        out = real(**kw)
        services.broadcast_cancel(broadcast=b)
        return out

    monkeypatch.setattr(broadcasts, "message_enqueue_many", cancel_after_first)
    services.broadcast_start(broadcast=b)
    b.refresh_from_db()
    assert Message.objects.filter(broadcast=b).count() == 3
    assert b.status == Broadcast.Status.CANCELED and b.fanned_out_at is None


def test_a_broadcast_to_chosen_contacts_reaches_only_this_business_s_live_ones(
    business, other_business, number
):
    from consent.services import contact_erase

    chosen = consenting_contact(business=business, number=number)
    erased = contact_erase(
        business=business, contact=consenting_contact(business=business, number=number)
    )
    consenting_contact(business=business, number=number)  # not chosen
    foreign = ContactFactory(business=other_business)
    b = services.broadcast_create(
        business=business,
        name="Chosen",
        body="Bright Smile: we are closed on Friday. Reply STOP to opt out.",
        kind="transactional",
        from_number=number,
        contact_uuids=[chosen.uuid, erased.uuid, foreign.uuid],
    )
    assert b.recipient_count == 1
    services.broadcast_start(broadcast=b)
    assert [m.contact_id for m in Message.objects.filter(broadcast=b)] == [chosen.pk]


def test_staff_decisions_on_held_messages_become_labelled_rows(
    business, number, contact, monkeypatch, tmp_path
):
    """policy_export_labels messages: the review queue's decisions in the corpus format."""
    review = Decision((Reason("content.test", "lending", "review", "Looks like a loan offer."),))
    monkeypatch.setattr("policies.services.message_check", lambda **kw: review)
    kept, dropped, waiting = (
        services.message_enqueue(
            business=business,
            body=f"{text} Reply STOP to opt out.",
            kind="transactional",
            contact=contact,
        )
        for text in ("Your loaner car is ready.", "Cash today, no credit check!", "Pending.")
    )
    services.message_review(message=kept, release=True, note="a loaner car")
    services.message_review(message=dropped, release=False, note="a payday loan")
    out = tmp_path / "messages.jsonl"
    call_command("policy_export_labels", "messages", str(out))
    rows = {r["body"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == {kept.body, dropped.body}  # the one still waiting is not a label
    assert (rows[kept.body]["expected"], rows[kept.body]["category"]) == ("allow", None)
    assert (rows[dropped.body]["expected"], rows[dropped.body]["category"]) == ("block", "lending")
    assert rows[kept.body]["kind"] == "transactional" and waiting.status == S.HELD
