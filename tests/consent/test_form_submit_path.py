"""Issue 18, finding 9 (sessions 8 and 9): what the public form's read brings along, the state
row written with its event, the form's rate limits in one Redis round trip, and what is left
in the request once the "Reply YES" text is the worker's (test_embed runs it on a real one).

The form's read (``selectors.optin_form_public``) also answers the privacy policy and terms
in force, checked here against the selector it replaces. The consent tests of the form
(test_views, test_services) and the ledger guards run unchanged."""

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent import ratelimit, selectors
from consent.models import ConsentEvent, ConsentState, Contact, EventKind
from consent.services.chain import chain_head
from consent.services.ledger import suppression_add
from consent.verify import derived_differences
from devtools.processes import database_url
from messaging.models import Message
from policies.documents import current_versions
from policies.documents_models import PolicyDocument
from tests.factories.campaigns import CampaignFactory, PhoneNumberFactory
from tests.factories.consent import OptInFormFactory

SITE = "https://brightsmile.example"


@pytest.mark.parametrize("documents", ["none", "in force, scheduled, unpublished"])
def test_the_policy_versions_come_with_the_form(business, documents):
    now = timezone.now()
    if documents != "none":
        for kind, version, days, published in (
            ("privacy", "8.1", -30, True),
            ("privacy", "8.2", -1, True),  # in force
            ("privacy", "8.3", 10, True),  # scheduled
            ("terms", "8.1", -1, True),  # in force
            ("terms", "8.2", -0.5, False),  # never published
        ):
            PolicyDocument.objects.create(
                kind=kind,
                version=version,
                title=kind,
                body=".",
                effective_at=now + timedelta(days=days),
                published_at=now - timedelta(days=31) if published else None,
            )
    form = OptInFormFactory(business=business)
    found = selectors.optin_form_public(form_uuid=form.uuid)
    assert found.policy_versions_in_force == current_versions("privacy", "terms")
    with CaptureQueriesContext(connection) as read:
        shown = found.policy_version
    assert read.captured_queries == []
    assert shown == form.policy_version  # the model's own reading, by a query
    if documents != "none":
        assert shown == f"form:{form.uuid}:v{form.version};privacy:8.2;terms:8.1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("double_opt_in", [True, False])
def test_a_new_contacts_state_row_is_written_with_its_event(client, business, double_opt_in):
    campaign = CampaignFactory(business=business, usecase="ACCOUNT_NOTIFICATION", sub_usecases=[])
    PhoneNumberFactory(business=business, campaign=campaign)
    form = OptInFormFactory(
        business=business,
        allowed_origins=[SITE],
        campaigns=[campaign],
        double_opt_in=double_opt_in,
    )
    data = {"phone": "3125550190", "consent": "1", "age_confirmed": "1"}
    response = client.post(f"/f/{form.uuid}/submit/", data, HTTP_ORIGIN=SITE)
    assert response.status_code == 200, response.content
    contact = Contact.objects.get(business=business, phone="+13125550190")
    event = ConsentEvent.objects.get(contact=contact)
    state = ConsentState.objects.get(contact=contact)
    assert state.last_event_id == event.pk and state.event_seq == event.seq
    assert state.campaign_id == campaign.pk and state.scope_kind == ""
    assert state.updated_at == event.created_at
    if double_opt_in:
        assert state.status == ConsentState.Status.PENDING and state.confirmed_at is None
    else:
        assert state.status == ConsentState.Status.OPTED_IN
        assert state.confirmed_at == event.created_at
    assert derived_differences(business=business) == []


def test_several_limits_count_in_turn_and_stop_at_the_first_refused():
    caches["default"].clear()
    assert ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    # the IP's third attempt is refused: the phone's counter does not move
    assert not ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:b", "2/60"), ("phone:x", "3/60")])  # the phone's third
    assert not ratelimit.hit_all([("ip:c", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:d", "2/60")])  # one limit: hit() itself
    # the same counters as hit(): the phone is at 4 of 3, the IP a at 3 of 2
    assert not ratelimit.hit("phone:x", "3/60") and not ratelimit.hit("ip:a", "2/60")
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    for key in ("ip:a", "phone:x", "ip:b"):
        ttl = client.ttl(cache.make_and_validate_key(f"consent:rl:{key}"))
        assert 0 < ttl <= 60  # the window's clock started with its first attempt


def test_the_tokens_single_use_comes_first_in_the_same_round_trip():
    # session 10: the token's SET NX and the limits are one script (one Redis round trip)
    caches["default"].clear()
    once = ("consent:form-token:abc", 60)
    limits = [("ip:t", "1/60"), ("phone:t", "5/60")]
    assert ratelimit.use_and_hit_all(once, limits) == 0
    # the same token again: refused as used, and no limit counted
    assert ratelimit.use_and_hit_all(once, limits) == ratelimit.USED
    assert ratelimit.use_and_hit_all(("consent:form-token:def", 60), limits) == 1  # the IP's
    assert ratelimit.use_and_hit_all(None, [("ip:u", "1/60"), ("phone:t", "5/60")]) == 0
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    counted = {
        key: int(client.get(cache.make_and_validate_key(f"consent:rl:{key}")))
        for key in ("ip:t", "phone:t", "ip:u")
    }
    assert counted == {"ip:t": 2, "phone:t": 2, "ip:u": 1}  # the phone: not on a refused IP
    # the key is cache.add's: the view's old single-use check would refuse it too
    assert not cache.add("consent:form-token:abc", 1, 60)
    assert 0 < client.ttl(cache.make_and_validate_key("consent:form-token:abc")) <= 60


def test_an_expired_window_counts_afresh():
    caches["default"].clear()
    assert ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    assert not ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    client.delete(cache.make_and_validate_key("consent:rl:ip:e"))  # the window ran out
    assert ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    assert int(client.get(cache.make_and_validate_key("consent:rl:phone:y"))) == 2


@pytest.mark.django_db(transaction=True)
def test_a_submission_is_five_statements_three_under_the_chain_lock(client, business):
    # was 14, then 11 (session 8), 7 (session 9: the "Reply YES" text is the worker's,
    # messaging.tasks.optin_form_reply_yes, queued after COMMIT), 6 (the number's
    # suppression read with the chain head and checked again by the append), now 5
    # (session 10: the contact's INSERT in the chain head's statement)
    campaign = CampaignFactory(business=business)
    PhoneNumberFactory(business=business, campaign=campaign)
    form = OptInFormFactory(business=business, allowed_origins=[SITE], campaigns=[campaign])
    url = f"/f/{form.uuid}/submit/"
    first = {"phone": "3125550191", "consent": "1", "age_confirmed": "1"}
    assert client.post(url, first, HTTP_ORIGIN=SITE).status_code == 200  # the chain head
    with CaptureQueriesContext(connection) as submitted:
        data = {"phone": "3125550192", "consent": "1", "age_confirmed": "1"}
        assert client.post(url, data, HTTP_ORIGIN=SITE).status_code == 200
    sql = [q["sql"] for q in submitted.captured_queries]
    assert len(sql) <= 5, "\n".join(s[:150] for s in sql)
    assert not [s for s in sql if "policies_policydocument" in s and "consent_optinform" not in s]
    assert not [s for s in sql if '"campaigns_phonenumber"' in s or 'INTO "messaging_' in s]
    locked = next(i for i, s in enumerate(sql) if 'FROM "consent_chainhead"' in s)
    assert 'INSERT INTO "consent_contact"' in sql[locked]  # the contact, with the head
    assert "consent_suppression" in sql[locked]  # the guess, with the head
    assert "consent_suppression" in sql[locked + 1]  # checked again by the append
    assert sql[locked + 2] == "COMMIT"  # contact + chain head, event + state, COMMIT
    contact = Contact.objects.get(business=business, phone="+13125550192")
    assert ConsentEvent.objects.get(contact=contact).kind == "OPT_IN"
    # the suppression hash the send path caches on the contact, written with the row
    assert contact.phone_hash == selectors.suppression_hash(business=business, phone="+13125550192")
    assert not Message.objects.filter(contact=contact).exists()  # the worker's, after COMMIT
    assert derived_differences(business=business) == []


@pytest.mark.django_db(transaction=True)
def test_the_first_submission_of_a_business_creates_its_chain_head(client, business):
    # no head row yet: the contact's INSERT runs all the same, the head is made after it
    form = OptInFormFactory(business=business, allowed_origins=[SITE])
    data = {"phone": "3125550196", "consent": "1", "age_confirmed": "1"}
    assert client.post(f"/f/{form.uuid}/submit/", data, HTTP_ORIGIN=SITE).status_code == 200
    contact = Contact.objects.get(business=business, phone="+13125550196")
    assert ConsentEvent.objects.get(contact=contact).seq == 1
    # the same number again: the contact is found, not inserted twice, and the state stays
    # pending (a second submission of a pending double opt-in records nothing new)
    again = {**data, "phone": "(312) 555-0196"}
    assert client.post(f"/f/{form.uuid}/submit/", again, HTTP_ORIGIN=SITE).status_code == 200
    assert Contact.objects.filter(business=business).count() == 1
    assert ConsentEvent.objects.filter(contact=contact).count() == 1
    assert selectors.ledger_verify(business=business).ok
    assert derived_differences(business=business) == []


def _waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_suppression_committed_while_the_form_waits_for_the_lock_is_not_missed(client, business):
    # The head's statement reads the suppression list as it was before it waited for the
    # lock (READ COMMITTED): the writer it waited for suppressed the number meanwhile. The
    # append's own statement checks again and, finding it changed, writes nothing; the
    # opt-in is then decided afresh: pending (only the person's YES lifts an opt-out).
    campaign = CampaignFactory(business=business, usecase="ACCOUNT_NOTIFICATION", sub_usecases=[])
    form = OptInFormFactory(
        business=business, allowed_origins=[SITE], campaigns=[campaign], double_opt_in=False
    )
    url = f"/f/{form.uuid}/submit/"
    first = {"phone": "3125550195", "consent": "1", "age_confirmed": "1"}
    assert client.post(url, first, HTTP_ORIGIN=SITE).status_code == 200  # the chain head
    holding, release, answer = threading.Event(), threading.Event(), {}

    def writer():  # another writer of the ledger: holds the head, suppresses the number
        try:
            with transaction.atomic():
                chain_head(business)
                suppression_add(business=business, e164="+13125550194", reason="STOP")  # bare
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    def submit():
        try:
            data = {"phone": "3125550194", "consent": "1", "age_confirmed": "1"}
            answer["status"] = Client().post(url, data, HTTP_ORIGIN=SITE).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=writer), threading.Thread(target=submit)]
    threads[0].start()
    assert holding.wait(30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while not _waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _waiting_for_a_lock()  # the submission waits for the chain head
    release.set()
    for thread in threads:
        thread.join(30)
    assert answer == {"status": 200}
    contact = Contact.objects.get(business=business, phone="+13125550194")
    event = ConsentEvent.objects.get(contact=contact)
    state = ConsentState.objects.get(contact=contact)
    assert event.kind == EventKind.OPT_IN and state.status == ConsentState.Status.PENDING
    assert state.last_event_id == event.pk
    assert selectors.ledger_verify(business=business).ok  # the chain whole, nothing doubled
    # (derived_differences would name the writer's suppression: a bare row standing in for
    # an opt-out's, the race's other side, not the form's)


@pytest.mark.django_db(transaction=True)
def test_the_forms_read_is_the_connections_health_check(business, monkeypatch):
    """A submission's first statement, the form's read, stands in for CONN_HEALTH_CHECKS'
    ``SELECT 1`` (accounts.db.read_health_checked), and still recovers from a database
    restart: the read fails on the dead connection and runs again on a new one."""
    form = OptInFormFactory(business=business, allowed_origins=[SITE])
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    checks = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real())
    connection.ensure_connection()
    connection.health_check_done = False  # a new request on a kept connection
    assert selectors.optin_form_public(form_uuid=form.uuid).pk == form.pk
    assert checks == [] and connection.health_check_done

    # the server ends the connection (a restart): the next submission's read still answers
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False
    assert selectors.optin_form_public(form_uuid=form.uuid).pk == form.pk
    assert checks == [1]  # asked once, after the failed read
    assert connection.connection.info.backend_pid != pid
