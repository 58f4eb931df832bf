"""/metrics: not public, figures from the database that follow the send path, every
business aggregated, and no personal data in any label."""

from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts import metrics as metrics_registry
from accounts.roles import Role
from consent.models import Method
from messaging.models import Message, StatusCallback
from tests.factories.accounts import MembershipFactory
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

TOKEN = "scrape-token-for-tests-0123456789"


def _assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert {"code", "message", "fields", "detail"} <= set(body["error"])


def scrape(client) -> tuple[dict, str]:
    """{(name, frozenset(labels)): value} of every sample, and the raw text."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    text = response.content.decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, text


def value(samples: dict, name: str, **labels) -> float:
    return samples[(name, frozenset(labels.items()))]


def number_labels(number) -> dict:
    return {"number": number.e164, "number_uuid": str(number.uuid)}


# --- who may read it ----------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_configured_token_only_verified_staff_see_it(client, settings, login):
    settings.METRICS_TOKEN = ""
    _assert_error(client.get("/metrics"), 404, "not_found")
    _assert_error(client.get("/metrics", HTTP_AUTHORIZATION="Bearer "), 404, "not_found")
    login(client, MembershipFactory(role=Role.OWNER.value))  # a business owner is not staff
    _assert_error(client.get("/metrics"), 404, "not_found")


@pytest.mark.django_db
def test_the_bearer_token_is_required_and_checked(client, settings):
    settings.METRICS_TOKEN = TOKEN
    response = client.get("/metrics")
    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    for wrong in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN):
        _assert_error(client.get("/metrics", HTTP_AUTHORIZATION=wrong), 401, "not_authenticated")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"cyc_queue_messages" in response.content


@pytest.mark.django_db
def test_staff_need_their_second_factor(client, settings, staff_user):
    settings.METRICS_TOKEN = TOKEN
    client.force_login(staff_user)  # password only, no OTP device verified in the session
    _assert_error(client.get("/metrics"), 401, "not_authenticated")


@pytest.mark.django_db
def test_verified_staff_read_it_without_the_token(staff_client, settings):
    settings.METRICS_TOKEN = ""
    response = staff_client.get("/metrics")
    assert response.status_code == 200
    assert b"cyc_message_outcomes_total" in response.content


@pytest.mark.django_db
def test_the_token_never_appears_in_the_answer(client, settings):
    settings.METRICS_TOKEN = TOKEN
    _, text = scrape(client)
    assert TOKEN not in text


# --- the figures ----------------------------------------------------------------------------


@pytest.fixture
def two_businesses(db, business, other_business):
    a = sending_number(business=business)
    b = sending_number(business=other_business)
    return (
        (business, a, [consenting_contact(business=business, number=a) for _ in range(3)]),
        (other_business, b, [consenting_contact(business=other_business, number=b)]),
    )


@pytest.mark.django_db
def test_queue_depth_per_number_follows_enqueued_messages(client, settings, two_businesses):
    from messaging.services import message_enqueue

    settings.METRICS_TOKEN = TOKEN
    (biz_a, num_a, contacts_a), (biz_b, num_b, contacts_b) = two_businesses
    before, _ = scrape(client)
    queued_before = value(before, "cyc_queue_messages", status="QUEUED")

    for contact in contacts_a:
        m = message_enqueue(
            business=biz_a,
            body="Your cleaning is on Tuesday at 3pm. Reply STOP to opt out.",
            kind="transactional",
            contact=contact,
            from_number=num_a,
        )
        assert m.status == Message.Status.QUEUED, m.reasons
    later = timezone.now() + timedelta(hours=2)
    m = message_enqueue(
        business=biz_b,
        body="Your cleaning is on Tuesday at 3pm. Reply STOP to opt out.",
        kind="transactional",
        contact=contacts_b[0],
        from_number=num_b,
        send_at=later,
    )
    assert m.status == Message.Status.SCHEDULED, m.reasons

    after, text = scrape(client)
    assert value(after, "cyc_number_queue_depth", **number_labels(num_a), status="QUEUED") == 3
    assert value(after, "cyc_number_queue_depth", **number_labels(num_a), status="SENDING") == 0
    # another business's number is in the same scrape: the figures cover every business
    assert value(after, "cyc_number_queue_depth", **number_labels(num_b), status="SCHEDULED") == 1
    assert value(after, "cyc_queue_messages", status="QUEUED") == queued_before + 3
    assert value(after, "cyc_queue_messages", status="SCHEDULED") >= 1
    # no personal data: no contact's phone or name, no message text, no business name
    for contact in contacts_a + contacts_b:
        assert contact.phone_e164 not in text
        assert not contact.name or contact.name not in text
    assert "cleaning" not in text
    assert biz_a.display_name not in text and biz_b.display_name not in text


@pytest.mark.django_db
def test_oldest_due_age_counts_only_due_messages(client, settings, business):
    settings.METRICS_TOKEN = TOKEN
    number = sending_number(business=business)
    now = timezone.now()
    MessageFactory(business=business, from_number=number, send_after=now - timedelta(minutes=5))
    MessageFactory(business=business, from_number=number, send_after=now + timedelta(hours=1))
    MessageFactory(
        business=business,
        from_number=number,
        status=Message.Status.SCHEDULED,
        send_after=now + timedelta(days=1),
    )
    samples, _ = scrape(client)
    age = value(samples, "cyc_number_oldest_due_age_seconds", **number_labels(number))
    assert 295 <= age <= 400
    assert value(samples, "cyc_queue_oldest_due_age_seconds") >= age


@pytest.mark.django_db
def test_sends_in_the_last_minute_and_the_cap_in_use(client, settings, business, other_business):
    settings.METRICS_TOKEN = TOKEN
    settings.MESSAGING_RATE_WINDOW = 60.0
    number = sending_number(business=business)
    other = sending_number(business=other_business)
    now = timezone.now()

    def sent(num, ago: float, segments: int = 1, status=Message.Status.SENT):
        done = now - timedelta(seconds=ago)
        return MessageFactory(
            business=num.business,
            from_number=num,
            status=status,
            segments=segments,
            sent_at=done,
            slot_frees_at=done + timedelta(seconds=60.05),
        )

    before, _ = scrape(client)
    total_before = value(before, "cyc_messages_sent_last_minute")
    sent(number, 5, segments=2)
    sent(number, 30, status=Message.Status.DELIVERED)
    sent(number, 90)  # sent 90 s ago: its slot has freed, not in the last minute
    sent(other, 10)
    # claimed and in flight: holds the cap but not yet accepted
    MessageFactory(
        business=business,
        from_number=number,
        status=Message.Status.SENDING,
        claimed_at=now,
        slot_frees_at=now + timedelta(seconds=70),
    )

    samples, _ = scrape(client)
    assert value(samples, "cyc_number_sent_last_minute", **number_labels(number)) == 2
    assert value(samples, "cyc_number_cap_used_segments", **number_labels(number)) == 4
    assert value(samples, "cyc_number_queue_depth", **number_labels(number), status="SENDING") == 1
    assert value(samples, "cyc_number_sent_last_minute", **number_labels(other)) == 1
    assert value(samples, "cyc_messages_sent_last_minute") == total_before + 3
    assert value(samples, "cyc_rate_cap_segments") == settings.MESSAGING_RATE_LIMIT


@pytest.mark.django_db
def test_per_number_series_are_bounded(client, settings, business):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_TOP_NUMBERS = 2
    numbers = [sending_number(business=business) for _ in range(3)]
    for depth, number in zip((1, 3, 2), numbers, strict=True):
        for _ in range(depth):
            MessageFactory(business=business, from_number=number)
    samples, _ = scrape(client)
    labelled = {
        dict(labels)["number"] for (name, labels) in samples if name == "cyc_number_queue_depth"
    }
    # the two busiest numbers are shown, the quietest is counted as omitted
    assert numbers[1].e164 in labelled and numbers[2].e164 in labelled
    assert numbers[0].e164 not in labelled
    assert value(samples, "cyc_metrics_numbers_omitted") >= 1
    assert value(samples, "cyc_queue_messages", status="QUEUED") >= 6


@pytest.mark.django_db
def test_held_messages_and_waiting_callbacks(client, settings, business, other_business):
    settings.METRICS_TOKEN = TOKEN
    before, _ = scrape(client)
    number = sending_number(business=other_business)
    MessageFactory(
        business=other_business,
        from_number=number,
        status=Message.Status.HELD,
        created_at=timezone.now() - timedelta(minutes=10),
    )
    StatusCallback.objects.create(
        provider="simulated",
        provider_id="SM1",
        status="delivered",
        received_at=timezone.now() - timedelta(seconds=30),
    )
    StatusCallback.objects.create(provider="simulated", provider_id="SM2", status="delivered")
    samples, _ = scrape(client)
    assert value(samples, "cyc_queue_messages", status="HELD") == (
        value(before, "cyc_queue_messages", status="HELD") + 1
    )
    assert value(samples, "cyc_messages_held_oldest_age_seconds") >= 590
    assert value(samples, "cyc_status_callbacks_waiting") == (
        value(before, "cyc_status_callbacks_waiting") + 2
    )
    assert value(samples, "cyc_status_callbacks_oldest_age_seconds") >= 29


@pytest.mark.django_db
def test_opt_outs_count_every_ledger_opt_out_of_every_business(client, settings, two_businesses):
    from consent.services import consent_record_opt_out

    settings.METRICS_TOKEN = TOKEN
    (biz_a, _, contacts_a), (biz_b, _, contacts_b) = two_businesses
    first, _ = scrape(client)
    start = value(first, "cyc_opt_outs_total")

    consent_record_opt_out(
        business=biz_a, contact=contacts_a[0], method=Method.KEYWORD, scope_all=True
    )
    consent_record_opt_out(
        business=biz_b, contact=contacts_b[0], method=Method.KEYWORD, scope_all=True
    )
    second, _ = scrape(client)
    assert value(second, "cyc_opt_outs_total") == start + 2

    # counted incrementally from the cached state: a third opt-out adds exactly one
    consent_record_opt_out(
        business=biz_a, contact=contacts_a[1], method=Method.PORTAL, scope_all=True
    )
    third, _ = scrape(client)
    assert value(third, "cyc_opt_outs_total") == start + 3

    # and the same figure when counted from scratch (the cache lost)
    from django.core.cache import cache

    from consent.metrics import STATE_KEY

    cache.delete(STATE_KEY)
    fresh, _ = scrape(client)
    assert value(fresh, "cyc_opt_outs_total") == start + 3


@pytest.mark.django_db
def test_todays_outcome_counters_follow_reported_outcomes(client, settings, business):
    from policies.services import message_outcome_report

    settings.METRICS_TOKEN = TOKEN
    before, _ = scrape(client)
    message_outcome_report(business=business, event="sent", detail={"count": 5})
    message_outcome_report(business=business, event="failed", detail={"count": 2})
    message_outcome_report(business=business, event="blocked")
    after, _ = scrape(client)
    for event, added in (("sent", 5), ("failed", 2), ("blocked", 1), ("delivered", 0)):
        name = "cyc_message_outcomes_total"
        assert value(after, name, event=event) == value(before, name, event=event) + added


@pytest.mark.django_db
def test_a_failing_collector_is_reported_and_the_others_still_answer(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def broken():
        raise RuntimeError("boom")
        yield  # pragma: no cover - makes this a generator like the real collectors

    metrics_registry.register("broken-for-test", broken)
    try:
        samples, _ = scrape(client)
    finally:
        metrics_registry._collectors.pop("broken-for-test")
    assert value(samples, "cyc_metrics_collector_up", collector="broken-for-test") == 0
    assert value(samples, "cyc_metrics_collector_up", collector="messaging") == 1
    assert ("cyc_queue_messages", frozenset({("status", "QUEUED")})) in samples
