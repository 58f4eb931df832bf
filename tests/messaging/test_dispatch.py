"""The drain in-process against the real simulated carrier over HTTP (no Celery here;
tests/messaging/test_worker.py runs real workers)."""

import time
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from consent import services as consent_services
from messaging import dispatch, quiet_hours, ratecap, services
from messaging.models import Message, SendLane
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db


@pytest.fixture(params=[100, 1], ids=["batch-endpoint", "one-per-request"])
def fast(settings, request):
    # every drain test runs against both carrier endpoints: /v1/messages/batch and
    # /v1/messages (CARRIER_BATCH_SIZE = 1)
    settings.CARRIER_BATCH_SIZE = request.param
    settings.MESSAGING_RATE_LIMIT = 5
    settings.MESSAGING_RATE_WINDOW = 2.0
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    return settings


@pytest.fixture
def provider(carrier, fast, monkeypatch):
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _enqueue(business, number, n, kind="transactional", **kw):
    out = []
    for _ in range(n):
        contact = consenting_contact(business=business, number=number)
        out.append(
            services.message_enqueue(
                business=business,
                body="Your visit is at 3pm. Reply STOP to opt out.",
                kind=kind,
                contact=contact,
                **kw,
            )
        )
    return out


def _accepted(carrier):
    return [e for e in carrier.audit() if not e.get("duplicate")]


def test_drain_respects_the_cap_then_continues_after_the_window(business, number, provider):
    msgs = _enqueue(business, number, 7)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 5
    statuses = sorted(
        Message.objects.filter(pk__in=[m.pk for m in msgs]).values_list("status", flat=True)
    )
    assert statuses == [S.QUEUED] * 2 + [S.SENT] * 5
    lane = SendLane.objects.get(number=number)
    # the next drain is when the first slot frees: answer time + window (judged against the
    # recorded answer times, not the wall clock, which a loaded machine stretches)
    sent = list(Message.objects.filter(status=S.SENT).values_list("sent_at", "slot_frees_at"))
    assert all(frees >= at + timedelta(seconds=2.0) for at, frees in sent)
    first_free = min(frees for _, frees in sent)
    assert first_free <= lane.drain_at
    assert lane.drain_at <= max(first_free + timedelta(seconds=0.05), timezone.now())
    sent = Message.objects.filter(status=S.SENT).first()
    assert sent.provider_id.startswith("SM") and sent.sent_at is not None and sent.attempts == 1
    time.sleep(max(0.0, (lane.drain_at - timezone.now()).total_seconds()) + 0.05)
    dispatch.drain_number(number.pk)
    log = _accepted(provider)
    assert len(log) == 7 and len({e["message_id"] for e in log}) == 7
    assert ratecap.max_in_window([(e["accepted_at"], e["segments"]) for e in log], window=2.0) <= 5
    assert log[0]["from"] == number.e164 and {"to", "body", "segments"} <= set(log[0])


def test_cap_counts_segments(business, number, provider):
    contact = consenting_contact(business=business, number=number)
    long = services.message_enqueue(
        business=business,
        body="x" * 378 + " Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    assert long.segments == 3
    _enqueue(business, number, 3)
    dispatch.drain_number(number.pk)
    assert sum(e["segments"] for e in _accepted(provider)) == 5  # 3 + 1 + 1; the third waits


def test_priority_system_replies_go_first(business, number, provider):
    _enqueue(business, number, 6)
    contact = consenting_contact(business=business, number=number)
    inbound = services.inbound_receive(
        to_number=number.e164, from_phone=contact.phone_e164, body="HELP", provider="simulated"
    )
    dispatch.drain_number(number.pk)
    reply = Message.objects.get(reply_to=inbound)
    assert reply.status == S.SENT
    assert _accepted(provider)[0]["message_id"] == str(reply.uuid) or reply.priority == 0


def test_stop_while_waiting_wins_at_dispatch(business, number, provider):
    [m] = _enqueue(business, number, 1, kind="transactional")
    consent_services.consent_record_opt_out(
        business=business,
        contact=m.contact,
        method="KEYWORD",
        scope_all=True,
        evidence={"source": "STOP"},
    )
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.BLOCKED and m.reasons[-1]["gate"] == "consent"
    assert m.reasons[-1]["code"] in ("opted_out", "suppressed")
    assert _accepted(provider) == []


def test_expired_messages_expire(business, number, provider):
    [m] = _enqueue(business, number, 1, expires_at=timezone.now() - timedelta(seconds=1))
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.EXPIRED and _accepted(provider) == []


def _quiet_zone_now() -> str:
    for zone in (
        "Asia/Tokyo",
        "Europe/London",
        "America/New_York",
        "Australia/Sydney",
        "Pacific/Honolulu",
    ):
        hour = timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).hour
        if not 8 <= hour < 21:
            return zone
    raise AssertionError("some zone is always in quiet hours")


def test_quiet_hours_defer_at_dispatch_never_drop(business, number, provider):
    [m] = _enqueue(business, number, 1, kind="transactional")
    zone = _quiet_zone_now()
    m.contact.time_zone = zone
    m.contact.save(update_fields=["time_zone"])
    Message.objects.filter(pk=m.pk).update(kind="marketing")  # queued before quiet hours began
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.SCHEDULED and m.reasons[-1]["code"] == "quiet_hours_deferred"
    # the first moment that is inside 8:00-21:00 both in the known zone and the number's
    zones = quiet_hours.zones_for(m.to_phone, zone)
    assert m.send_after > timezone.now()
    for z in zones:
        assert 8 <= m.send_after.astimezone(zoneinfo.ZoneInfo(z)).hour < 21
    openings = [m.send_after.astimezone(zoneinfo.ZoneInfo(z)) for z in zones]
    assert any((t.hour, t.minute) == (8, 0) for t in openings)
    assert _accepted(provider) == []
    assert SendLane.objects.get(number=number).drain_at == m.send_after


def test_transient_error_retries_with_backoff_and_keeps_the_slot(business, number, provider):
    [m] = _enqueue(business, number, 1)
    provider.control(next=["500"])
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.QUEUED and m.attempts == 1 and m.error_code == "500"
    assert m.send_after > timezone.now() and m.slot_frees_at > timezone.now()


def test_attempts_are_bounded(business, number, provider, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 2
    [m] = _enqueue(business, number, 1)
    provider.control(next=["503", "503"])
    dispatch.drain_number(number.pk)
    Message.objects.filter(pk=m.pk).update(send_after=timezone.now())
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.FAILED and m.attempts == 2 and m.error_code == "503"


def test_permanent_error_fails_with_the_provider_code(business, number, provider):
    [m] = _enqueue(business, number, 1)
    provider.control(next=["reject"])
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.FAILED and m.error_code == "21610"
    assert m.slot_frees_at <= timezone.now()  # refused: its slot is free again


def test_carrier_429_slows_the_number(business, number, provider):
    msgs = _enqueue(business, number, 2)
    provider.control(next=["429"], retry_after=1)
    dispatch.drain_number(number.pk)
    lane = SendLane.objects.get(number=number)
    assert lane.throttled_until > timezone.now() and lane.throttle_count == 1
    throttled = [
        m for m in Message.objects.filter(pk__in=[x.pk for x in msgs]) if m.status == S.QUEUED
    ]
    assert len(throttled) == 1 and throttled[0].attempts == 0
    dispatch.drain_number(number.pk)  # still throttled: nothing more goes out
    assert len(_accepted(provider)) == 1


def test_timeout_then_retry_is_deduplicated_by_the_carrier(business, number, provider, settings):
    settings.MESSAGING_SEND_TIMEOUT = 0.5
    _cache["simulated"] = SimulatedCarrier(base_url=provider.url)
    [m] = _enqueue(business, number, 1)
    provider.control(slow=1.0)  # accepted, but the answer comes after our time-out
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.QUEUED and m.error_code == "timeout"
    provider.control(slow=0)
    Message.objects.filter(pk=m.pk).update(send_after=timezone.now())
    time.sleep(0.6)
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    log = provider.audit()
    assert m.status == S.SENT and m.provider_id == log[0]["carrier_id"]
    assert [e.get("duplicate", False) for e in log] == [False, True]


def test_recovery_requeues_claims_of_dead_workers(business, number, provider, monkeypatch):
    monkeypatch.setattr("messaging.tasks.drain_number.delay", lambda *a: None)
    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    [m] = _enqueue(business, number, 1)
    old = timezone.now() - timedelta(minutes=5)
    frees = timezone.now() + timedelta(seconds=30)
    Message.objects.filter(pk=m.pk).update(status=S.SENDING, claimed_at=old, slot_frees_at=frees)
    result = dispatch.recover()
    m.refresh_from_db()
    assert result["requeued"] == 1 and m.status == S.QUEUED
    assert m.slot_frees_at == frees  # the slot stays: the carrier may have it


def test_blocked_rows_at_the_head_do_not_stall_the_queue(business, number, provider):
    stopped = _enqueue(business, number, 6)
    for m in stopped:
        consent_services.consent_record_opt_out(
            business=business, contact=m.contact, method="KEYWORD", scope_all=True, evidence={}
        )
    ok = _enqueue(business, number, 2)
    dispatch.drain_number(number.pk)
    assert {m.status for m in Message.objects.filter(pk__in=[x.pk for x in stopped])} == {S.BLOCKED}
    assert {m.status for m in Message.objects.filter(pk__in=[x.pk for x in ok])} == {S.SENT}


def test_a_drain_cycle_costs_the_same_queries_for_5_or_40_messages(
    business, provider, settings, monkeypatch
):
    """The per-message re-check is batched (consent for the whole claim in two queries,
    answers written with one UPDATE), so a cycle's queries do not grow with its size;
    an opt-out inside the batch still blocks exactly that message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    settings.MESSAGING_RATE_LIMIT = 50

    def cycle(n):
        number = sending_number(business=business)
        msgs = _enqueue(business, number, n, from_number=number)
        stopped = msgs[-1].contact
        consent_services.consent_record_opt_out(
            business=business, contact=stopped, method="KEYWORD", scope_all=True
        )
        with CaptureQueriesContext(connection) as ctx:
            dispatch.drain_number(number.pk)
        statuses = dict(
            Message.objects.filter(pk__in=[m.pk for m in msgs]).values_list("pk", "status")
        )
        assert statuses[msgs[-1].pk] == S.BLOCKED
        assert [statuses[m.pk] for m in msgs[:-1]] == [S.SENT] * (n - 1), list(
            Message.objects.filter(pk__in=[m.pk for m in msgs]).values_list("reasons", flat=True)
        )
        return len(ctx.captured_queries)

    cycle(2)  # warm the process caches (rules, provider session)
    small, large = cycle(5), cycle(40)
    assert small == large, (small, large)


def test_carrier_batch_endpoint_answers_each_message_and_stops_at_a_timeout(carrier):
    import requests

    def msg(i):
        return {
            "from": "+13125550100",
            "to": f"+1646555{i:04d}",
            "body": f"m{i}",
            "segments": 1,
            "idempotency_key": f"k{i}",
        }

    carrier.control(next=["", "500", "429", "reject"], retry_after=2)
    r = requests.post(
        f"{carrier.url}/v1/messages/batch", json={"messages": [msg(i) for i in range(5)]}, timeout=5
    )
    assert r.status_code == 200
    answers = r.json()["results"]
    assert [a["http_status"] for a in answers] == [201, 500, 429, 400, 201]
    assert answers[2]["retry_after"] == 2.0 and answers[3]["code"] == "21610"
    assert [e["message_id"] for e in carrier.audit()] == ["k0", "k4"]
    # a time-out stops the batch where it is drawn: what came before is accepted (and a
    # repeat of it is a duplicate), the request answers late with 504
    carrier.control(next=["", "timeout"], timeout_delay=0.2)
    r = requests.post(
        f"{carrier.url}/v1/messages/batch", json={"messages": [msg(0), msg(5), msg(6)]}, timeout=5
    )
    assert r.status_code == 504
    log = carrier.audit()
    assert [(e["message_id"], e.get("duplicate", False)) for e in log[2:]] == [("k0", True)]
    bad = requests.post(f"{carrier.url}/v1/messages/batch", json={"messages": []}, timeout=5)
    assert bad.status_code == 400 and "messages" in bad.json()["message"]


def test_a_number_suspended_after_enqueue_blocks_at_dispatch(business, number, provider):
    [m] = _enqueue(business, number, 1)
    number.status = number.Status.SUSPENDED
    number.save(update_fields=["status"])
    dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.BLOCKED and m.slot_frees_at is None
    assert {"gate": "number", "code": "number_inactive"}.items() <= m.reasons[-1].items()
    assert _accepted(provider) == []


def test_a_throughput_restriction_lowers_the_cap(business, number, provider):
    from policies.penalties import restriction_apply

    restriction_apply(
        business=business,
        kind="THROUGHPUT",
        limit=2,
        window=2.0,
        reason="Carrier complaint",
        remedy="Clean your list",
        actor=None,
    )
    _enqueue(business, number, 4)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 2  # the restriction's 2, not the cap's 5
    assert Message.objects.filter(status=S.QUEUED).count() == 2


def test_a_batch_that_fails_as_a_whole_is_retried_as_ambiguous(
    business, number, provider, monkeypatch
):
    from messaging.providers import get_provider

    async def down(items):
        raise ConnectionError("the carrier's load balancer reset the connection")

    monkeypatch.setattr(get_provider(), "send_many", down)
    msgs = _enqueue(business, number, 2)
    dispatch.drain_number(number.pk)
    for m in msgs:
        m.refresh_from_db()
        # the carrier may have them: retried later with the same id, the slot kept
        assert m.status == S.QUEUED and m.attempts == 1 and m.error_code == "batch"
        assert m.send_after > timezone.now() and m.slot_frees_at > timezone.now()


def test_status_callbacks_are_requested_when_enabled(
    business, number, provider, settings, monkeypatch
):
    from messaging.providers import get_provider

    settings.MESSAGING_STATUS_CALLBACKS = True
    settings.MESSAGING_WEBHOOK_BASE_URL = "http://127.0.0.1:9"
    simulated = get_provider()
    real, sent = simulated.send_many, []

    async def spy(items):  # what goes to the carrier, which then sends as it always does
        sent.extend(items)
        return await real(items)

    monkeypatch.setattr(simulated, "send_many", spy)
    _enqueue(business, number, 1)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 1
    assert [o.status_callback for o in sent] == ["http://127.0.0.1:9/webhooks/carrier/status/"]


def test_a_drain_out_of_time_hands_over_to_a_fresh_task(business, number, provider, monkeypatch):
    handed = []
    monkeypatch.setattr("messaging.tasks.drain_number.delay", handed.append)
    [m] = _enqueue(business, number, 1)
    dispatch.drain_number(number.pk, max_seconds=0)
    assert handed == [number.pk]
    m.refresh_from_db()
    assert m.status == S.QUEUED


def test_recovery_kicks_overdue_lanes_and_sends_tasks_for_drains_coming_due(
    business, number, provider, monkeypatch
):
    delayed, scheduled = [], []
    monkeypatch.setattr("messaging.tasks.drain_number.delay", delayed.append)
    monkeypatch.setattr(
        "messaging.tasks.drain_number.apply_async",
        lambda args, eta=None, **kw: scheduled.append((args[0], eta)),
    )
    soon_number = sending_number(business=business)
    now = timezone.now()
    overdue = now - timedelta(hours=1)
    soon = now + timedelta(seconds=5)
    SendLane.objects.create(business=business, number=number, drain_at=overdue, task_eta=overdue)
    SendLane.objects.create(business=business, number=soon_number, drain_at=soon, task_eta=None)
    dispatch.recover(now=now)
    assert delayed == [number.pk]
    assert scheduled == [(soon_number.pk, soon)]
    lanes = {lane.number_id: lane for lane in SendLane.objects.all()}
    assert lanes[number.pk].drain_at == now and lanes[number.pk].task_eta == now
    assert lanes[soon_number.pk].task_eta == soon
    dispatch.recover(now=now)  # the coming drain has its task: not sent twice
    assert len(scheduled) == 1


def test_a_claim_that_ends_exactly_at_a_batch_boundary_sends_all_in_one_cycle(
    business, number, provider, settings
):
    settings.MESSAGING_BATCH_MAX = 2
    _enqueue(business, number, 2)
    totals = dispatch.drain_number(number.pk)
    assert totals["sent"] == 2 and totals["cycles"] == 1
    assert SendLane.objects.get(number=number).drain_at is None  # nothing left: idle


def test_after_sending_what_is_due_the_lane_waits_for_the_next_scheduled_message(
    business, number, provider
):
    later = timezone.now() + timedelta(hours=1)
    _enqueue(business, number, 1)
    [scheduled] = _enqueue(business, number, 1, send_at=later)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 1
    scheduled.refresh_from_db()
    assert scheduled.status == S.SCHEDULED
    assert SendLane.objects.get(number=number).drain_at == scheduled.send_after


def test_a_full_number_sends_nothing_more_and_wakes_when_slots_free(
    business, number, provider, monkeypatch
):
    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    _enqueue(business, number, 7)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 5
    dispatch.drain_number(number.pk)  # an early wake-up: the number is still at its cap
    assert len(_accepted(provider)) == 5
    lane = SendLane.objects.get(number=number)
    first_free = Message.objects.filter(status=S.SENT).order_by("slot_frees_at")[0].slot_frees_at
    assert lane.drain_at >= first_free


@pytest.mark.django_db(transaction=True)  # recovery runs on another connection meanwhile
def test_a_late_answer_does_not_overwrite_a_claim_recovery_took_back(
    business, number, provider, monkeypatch
):
    from messaging.providers import get_provider

    monkeypatch.setattr("messaging.tasks.drain_number.apply_async", lambda *a, **k: None)
    simulated = get_provider()
    real = simulated.send_many

    def recover_later():
        from django.db import connection

        try:
            dispatch.recover(now=timezone.now() + timedelta(hours=1))
        finally:
            connection.close()  # this thread's own connection

    async def stalled(items):
        # the worker stalls past the grace: recovery re-queues its claim meanwhile
        from asgiref.sync import sync_to_async

        await sync_to_async(recover_later, thread_sensitive=False)()
        return await real(items)

    monkeypatch.setattr(simulated, "send_many", stalled)
    [m] = _enqueue(business, number, 1)
    totals = dispatch.drain_number(number.pk)
    m.refresh_from_db()
    assert m.status == S.QUEUED and m.provider_id == ""  # recovery's, not the late answer's
    assert totals["sent"] == 0
