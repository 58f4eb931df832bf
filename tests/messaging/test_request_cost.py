"""Issue 18, finding 9: the request paths cost 40-55 bare views (bench_load).

The cause, as far as behaviour shows it: round trips. A send through the API ran 13 SQL
statements and the public opt-in form 39 (14 now; an idempotency SELECT before every keyed INSERT,
BEGIN/COMMIT around a lone INSERT, the lane kick's UPDATE then SELECT, reading the message
back after writing it, the brand domains of a message without a link, get_or_create's and
update_or_create's savepoints and second reads, the ledger's chain head locked twice, two
queries for two policy documents); and the API throttle moved a list of every request's
timestamp through Redis on every call. These tests hold the counts, with every gate still
asked (the gate tests in tests/messaging and tests/consent are unchanged), on a database
without a test transaction around them (``transactional_db``): as in production, where
the send API runs in autocommit.
"""

import time
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.api import throttling
from accounts.api.throttling import ApiKeyRateThrottle
from consent import services as consent_services
from consent.models import ConsentEvent, ConsentState, Contact, EventKind
from consent.verify import derived_differences
from messaging import services
from messaging.models import Message
from policies.documents_models import PolicyDocument
from tests.conftest import make_api_client
from tests.factories.consent import OptInFormFactory
from tests.factories.messaging import consenting_contact, sending_number

SITE = "https://brightsmile.example"
BODY = "Your appointment is tomorrow at 3pm. Reply STOP to opt out."


def _statements(queries) -> list[str]:
    return [q["sql"].split(" ", 1)[0].upper() for q in queries]


@pytest.mark.django_db(transaction=True)
def test_send_api_is_two_statements_with_every_gate_asked(owner, business):
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    api = make_api_client(owner)
    payload = {
        "contact": str(contact.uuid),
        "from_number": str(number.uuid),
        "kind": "transactional",
        "body": BODY,
    }
    api.post("/api/v1/messages/", payload, format="json")  # the key's last-use write, once
    with CaptureQueriesContext(connection) as sent:
        response = api.post("/api/v1/messages/", payload, format="json")
    assert response.status_code == 201 and response.json()["status"] == "QUEUED"
    sql = " ".join(q["sql"] for q in sent.captured_queries)
    # the key, the contact, the number (with its campaign: the number gate), the consent
    # state and the suppression list (the consent gate), a hold on the business (the
    # content gate), the INSERT, the lane kick
    for table in (
        "accounts_apikey",
        "consent_contact",
        "campaigns_phonenumber",
        "consent_consentstate",
        "consent_suppression",
        "policies_policyhold",
        "messaging_message",
        "messaging_sendlane",
    ):
        assert table in sql, table
    # 7, all of the send itself: whether an endpoint wants the send's event is known
    # without a query (Business.webhook_events; accounts.events.subscriptions for emits)
    # session 8: 5 — the contact and the number (with its campaign) in one statement, the
    # INSERT and the lane kick in another
    # session 9: 4 — the key read with the contact and the number (accounts.api.lean's
    # authenticate hook); and no CONN_HEALTH_CHECKS SELECT 1 (not seen here): the key's read
    # is the check (accounts.db.read_health_checked)
    # session 10: 2 — the consent gate's states and suppression (by the phone's hash stored
    # on the contact, written by the first send) and the hold read with the key too
    assert len(sent.captured_queries) <= 2, "\n".join(q["sql"][:120] for q in sent.captured_queries)
    # round 3: the key, contact, number, consent and hold reads are written once per
    # process (accounts.db and the selectors), not compiled by the ORM (whose SELECTs
    # start with a quoted table name); so is the INSERT (accounts.db.row_insert)
    selects = [q["sql"] for q in sent.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1 and not [q for q in selects if q.startswith('SELECT "')], selects
    assert "BEGIN" not in _statements(sent.captured_queries)  # a lone INSERT is atomic


@pytest.mark.django_db(transaction=True)
def test_the_send_answer_is_the_row_as_stored(owner, business):
    # the API answers from the row it wrote instead of reading it back: the same answer
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    api = make_api_client(owner)
    sent = api.post(
        "/api/v1/messages/",
        {
            "contact": str(contact.uuid),
            "from_number": str(number.uuid),
            "kind": "marketing",
            "body": "20% off cleanings this week at Bright Smile! Reply STOP to opt out.",
            "idempotency_key": "promo-1",
        },
        format="json",
    ).json()
    stored = api.get(f"/api/v1/messages/{sent['uuid']}/").json()
    assert sent == stored


@pytest.mark.django_db(transaction=True)
def test_a_repeated_key_is_found_by_the_insert_and_gates_still_decide(business):
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    first = services.message_enqueue(
        business=business,
        body=BODY,
        kind="transactional",
        contact=contact,
        from_number=number,
        idempotency_key="k-1",
    )
    with transaction.atomic():  # inside a caller's transaction: a savepoint keeps it usable
        again = services.message_enqueue(
            business=business,
            body=BODY,
            kind="transactional",
            contact=contact,
            from_number=number,
            idempotency_key="k-1",
        )
        assert Message.objects.filter(business=business).count() == 1
    assert again.pk == first.pk
    consent_services.consent_record_opt_out(
        business=business,
        contact=contact,
        method="KEYWORD",
        scope_all=True,
        evidence={"source": "test"},
    )
    blocked = services.message_enqueue(
        business=business,
        body=BODY,
        kind="transactional",
        contact=contact,
        from_number=number,
    )
    assert blocked.status == Message.Status.BLOCKED  # the consent gate, asked as before


@pytest.mark.django_db(transaction=True)
def test_the_opt_in_form_is_at_most_14_statements_and_texts_reply_yes(client, business):
    now = timezone.now()
    for kind, version, days in (
        ("privacy", "1.0", -30),
        ("privacy", "2.0", -1),  # in force
        ("privacy", "3.0", 10),  # published, not yet in force
        ("terms", "1.0", -30),
    ):
        PolicyDocument.objects.create(
            kind=kind,
            version=version,
            title=kind,
            body=".",
            effective_at=now + timedelta(days=days),
            published_at=now - timedelta(days=31),
        )
    number = sending_number(business=business)
    form = OptInFormFactory(business=business, allowed_origins=[SITE], campaigns=[number.campaign])
    url = f"/f/{form.uuid}/submit/"
    # the first sign-up creates the business's chain head and the number's lane, and loads
    # the policy rules: the steady state is the second
    first = {"phone": "3125550180", "consent": "1", "age_confirmed": "1"}
    assert client.post(url, first, HTTP_ORIGIN=SITE).status_code == 200
    with CaptureQueriesContext(connection) as submitted:
        response = client.post(
            url, {"phone": "3125550181", "consent": "1", "age_confirmed": "1"}, HTTP_ORIGIN=SITE
        )
    assert response.status_code == 200
    statements = _statements(submitted.captured_queries)
    # was 39, then 24: the form with its business and campaigns (one statement, was two),
    # BEGIN, the contact (one INSERT ... ON CONFLICT DO NOTHING, was a read, a savepoint,
    # the INSERT, its release), policy versions, chain head, suppression (a contact new in
    # this transaction has no state row or revocation to read), event + evidence + head (one
    # statement, was three), state (no savepoint of their own), COMMIT; then the "Reply YES"
    # text's five, since session 9 the worker's (tests/consent/test_form_submit_path.py pins 7)
    assert len(statements) <= 14, "\n".join(q["sql"][:150] for q in submitted.captured_queries)
    assert "SAVEPOINT" not in statements, statements
    sql = " ".join(q["sql"] for q in submitted.captured_queries)
    assert sql.count('FROM "consent_chainhead"') == 1
    contact = Contact.objects.get(business=business, phone="+13125550181")
    event = ConsentEvent.objects.get(contact=contact)
    assert event.kind == EventKind.OPT_IN
    assert event.policy_version == f"form:{form.uuid}:v{form.version};privacy:2.0;terms:1.0"
    assert not Message.objects.filter(contact=contact).exists()  # queued for the worker
    assert derived_differences(business=business) == []


@pytest.mark.django_db(transaction=True)
def test_signing_up_again_after_stop_updates_the_locked_state_row(client, business):
    number = sending_number(business=business)
    form = OptInFormFactory(business=business, allowed_origins=[SITE], campaigns=[number.campaign])
    url = f"/f/{form.uuid}/submit/"
    data = {"phone": "3125550182", "consent": "1", "age_confirmed": "1"}
    assert client.post(url, data, HTTP_ORIGIN=SITE).status_code == 200
    contact = Contact.objects.get(business=business, phone="+13125550182")
    consent_services.consent_record_opt_out(
        business=business,
        contact=contact,
        method="KEYWORD",
        scope_all=False,
        campaign=number.campaign,
        evidence={"source": "test"},
    )
    state = ConsentState.objects.get(contact=contact, campaign=number.campaign)
    assert state.status == ConsentState.Status.OPTED_OUT
    assert client.post(url, data, HTTP_ORIGIN=SITE).status_code == 200
    again = ConsentState.objects.get(contact=contact, campaign=number.campaign)
    assert again.pk == state.pk and again.status == ConsentState.Status.PENDING
    assert again.last_event.kind == EventKind.OPT_IN and again.event_seq > state.event_seq
    assert derived_differences(business=business) == []


def test_the_api_throttle_keeps_counters_not_a_list_of_every_request(owner, business, settings):
    from rest_framework.settings import api_settings

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "1000/min"}
    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = rates
    try:
        api = make_api_client(owner)
        for _ in range(30):
            assert api.get("/api/v1/business/").status_code == 200
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = original
    cache = caches["default"]
    prefix = business.api_keys.get().prefix
    index = int(time.time() // 60)
    counts = [cache.get(f"throttle_api_key_{prefix}:{i}") for i in (index, index - 1)]
    assert sum(c or 0 for c in counts) == 30  # one integer per window, whatever the rate


@pytest.mark.parametrize(
    ("previous", "current", "elapsed", "allowed"),
    [
        (0, 10, 0.0, True),  # the limit itself
        (0, 11, 0.0, False),
        (10, 5, 0.5, True),  # half the previous window still weighs: 5 + 5
        (10, 6, 0.5, False),
        (10, 9, 0.95, True),  # 0.5 + 9
        (20, 0, 0.1, False),  # 18 carried over from a burst
    ],
)
def test_the_sliding_estimate(monkeypatch, previous, current, elapsed, allowed):
    window = 60
    now = 1_000 * window + elapsed * window
    monkeypatch.setattr(throttling, "window_counts", lambda key, w, t: (current, previous))
    throttle = ApiKeyRateThrottle()
    throttle.rate, (throttle.num_requests, throttle.duration) = "10/min", (10, window)
    throttle.timer = lambda: now  # type: ignore[method-assign]

    class Request:
        auth = type("Key", (), {"prefix": "p"})()

    assert throttle.allow_request(Request(), None) is allowed
    if not allowed:
        assert 1 <= throttle.wait() <= window


def test_window_counts_count_per_window():
    cache = caches["default"]
    cache.delete_many(["t:w:100", "t:w:99"])
    assert throttling.window_counts("t:w", 60, 100 * 60 + 1) == (1, 0)
    assert throttling.window_counts("t:w", 60, 100 * 60 + 2) == (2, 0)
    assert throttling.window_counts("t:w", 60, 101 * 60 + 1) == (1, 2)
