"""Issue 18, findings 2 and 3: the consent state and suppression list are derived from the
ledger and checked against it (``consent_verify``), PostgreSQL refuses writes to them from
outside the ledger's service and TRUNCATE on every append-only table, and a cut tail of the
ledger (events deleted, chain head rolled back, triggers disabled) is found by the signed
checkpoints. Erased evidence is checked to be blank."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEvent
from consent import selectors, services
from consent.models import (
    ChainCheckpoint,
    ChainHead,
    ConsentEvent,
    ConsentState,
    Method,
    Suppression,
)
from consent.services.checkpoints import ledger_checkpoint
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import DISCLOSURE, ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db

EVIDENCE = {"disclosure_text": DISCLOSURE, "page_url": "https://example.com/join"}


def verify(business) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("consent_verify", business=str(business.uuid), stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def as_superuser(*statements):
    """What someone with the database's superuser can do: bypass every trigger."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = origin")


def stop(business, contact, campaign=None):
    return services.consent_record_opt_out(
        business=business,
        contact=contact,
        method=Method.KEYWORD,
        scope_all=campaign is None,
        campaign=campaign,
        evidence={"source": "STOP"},
    )


def test_every_flow_of_the_services_verifies(business):
    """No false alarm: double opt-in, YES, campaign opt-out, STOPALL, START (with and
    without a campaign), a join keyword beside an old STOPALL, kind-level consent, erasure."""
    a, b = CampaignFactory(business=business), CampaignFactory(business=business)
    people = [ContactFactory(business=business) for _ in range(4)]
    first, second, third, fourth = people
    for campaign in (a, b):
        services.consent_record_opt_in(
            business=business,
            contact=first,
            method=Method.WEB_FORM,
            campaign=campaign,
            evidence=EVIDENCE,
            double_opt_in=True,
        )
    services.consent_confirm_double_opt_in(business=business, contact=first, evidence={})
    stop(business, first, campaign=a)
    services.consent_record_reply_opt_in(
        business=business, contact=first, campaign=a, evidence={"source": "SMS to +1: START"}
    )
    stop(business, first)
    services.consent_record_reply_opt_in(business=business, contact=first, evidence={})
    services.consent_record_opt_in(
        business=business,
        contact=second,
        method=Method.API,
        kind="informational",
        evidence=EVIDENCE,
        double_opt_in=False,
    )
    stop(business, second)
    # suppressed: a new opt-in goes through double opt-in; the YES lifts the suppression,
    # the "all" row stays revoked (older than the new consent)
    services.consent_record_opt_in(
        business=business,
        contact=second,
        method=Method.WEB_FORM,
        campaign=a,
        evidence=EVIDENCE,
        double_opt_in=True,
    )
    services.consent_confirm_double_opt_in(business=business, contact=second, evidence={})
    # a join keyword for another campaign while that old STOPALL row is still there
    services.consent_record_opt_in(
        business=business,
        contact=second,
        method=Method.KEYWORD,
        campaign=b,
        evidence={**EVIDENCE, "source": "SMS JOIN to +15550001111"},
        double_opt_in=True,
    )
    opted_in_contact(business=business, campaign=b, phone=None)  # no phone: no suppression
    stop(business, third)
    services.contact_erase(business=business, contact=fourth)
    assert verify(business)[0], verify(business)[1]
    assert (
        selectors.consent_check(business=business, contact=first, kind="marketing", campaign=b).code
        == "ok"
    )


def test_state_and_suppression_refuse_writes_from_outside_the_ledger(business):
    contact = opted_in_contact(business=business, kind="informational")
    stop(business, contact)
    statements = [
        "UPDATE consent_consentstate SET status = 'OPTED_IN'",
        "DELETE FROM consent_suppression",
        "INSERT INTO consent_suppression (business_id, phone_hash, opted_out_at, reason) "
        "SELECT id, 'x', now(), 'opt_out' FROM accounts_business",
        "UPDATE consent_chainhead SET seq = 0",
        "TRUNCATE consent_consentstate",
    ]
    with connection.cursor() as cursor:
        # the test's one transaction held the ledger's setting: a new one would not
        cursor.execute("SET LOCAL cyc.ledger_write = ''")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE wants no pending checks
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match=r"written only by consent\.services\.ledger"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert not selectors.consent_check(
        business=business, contact=contact, kind="informational"
    ).allowed


def test_consent_verify_names_state_and_suppression_rows_changed_by_sql(business):
    """The finding: three statements made an opted-out contact "ok" and consent_verify said
    OK. They now need the ledger's own setting (or a superuser) and are named."""
    contact = opted_in_contact(business=business, kind="informational")
    stop(business, contact)
    assert verify(business)[0]
    opt_in = ConsentEvent.objects.get(contact=contact, kind="OPT_IN_CONFIRMED")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL cyc.ledger_write = 'on'")
        cursor.execute(
            "UPDATE consent_consentstate SET status = 'OPTED_IN', last_event_id = %s, "
            "event_seq = %s WHERE contact_id = %s",
            [opt_in.pk, opt_in.seq, contact.pk],
        )
        cursor.execute("DELETE FROM consent_consentstate WHERE scope_key = 'all'")
        cursor.execute("DELETE FROM consent_suppression WHERE business_id = %s", [business.pk])
    decision = selectors.consent_check(business=business, contact=contact, kind="informational")
    assert decision.code == "ok"  # what the send path would now believe
    ok, out = verify(business)
    assert not ok
    assert f"ConsentState of contact {contact.uuid} scope k:informational" in out
    assert f"the ledger says OPTED_OUT by event #{opt_in.seq + 1}" in out
    assert f"ConsentState of contact {contact.uuid} scope all" in out
    assert f"Suppression of contact {contact.uuid} for the whole business" in out


APPEND_ONLY = [
    "consent_consentevent",
    "consent_consentevidence",
    "consent_chaincheckpoint",
    "accounts_auditevent",
    "accounts_cookieconsentrecord",
    "policies_policyacceptance",
    "policies_carrierpenalty",
    "policies_rulechange",
]


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_truncate_is_refused_on_every_append_only_table(business, table):
    opted_in_contact(business=business, kind="informational")
    with (
        pytest.raises(DatabaseError, match=f"{table} is append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks: TRUNCATE runs
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert ConsentEvent.objects.filter(business=business).exists()


def test_truncate_cascade_from_a_referenced_table_is_refused(business):
    opted_in_contact(business=business, kind="informational")
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE accounts_business CASCADE")
    assert ConsentEvent.objects.filter(business=business).exists()


def test_every_table_that_refuses_update_also_refuses_truncate():
    """A table made append-only later gets both (``append_only_operation``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, array_agg(t.tgname::text) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal GROUP BY c.relname"
        )
        triggers = dict(cursor.fetchall())
    append_only = {t for t, names in triggers.items() if f"{t}_append_only_trg" in names}
    assert set(APPEND_ONLY) - {"consent_consentevidence"} <= append_only
    assert all(f"{t}_no_truncate_trg" in triggers[t] for t in append_only)


def _cut_tail(business, keep: int):
    """Delete every event after ``keep`` (evidence and states with them) and roll the
    chain head back to it, as a superuser would."""
    kept = ConsentEvent.objects.get(business=business, seq=keep)
    cut = list(
        ConsentEvent.objects.filter(business=business, seq__gt=keep).values_list("pk", flat=True)
    )
    as_superuser(
        ("DELETE FROM consent_consentstate WHERE last_event_id = ANY(%s)", [cut]),
        ("DELETE FROM consent_consentevidence WHERE event_id = ANY(%s)", [cut]),
        ("DELETE FROM consent_consentevent WHERE id = ANY(%s)", [cut]),
        (
            "UPDATE consent_chainhead SET seq = %s, hash = %s WHERE business_id = %s",
            [kept.seq, kept.hash, business.pk],
        ),
    )


def test_cutting_the_tail_is_found_by_the_signed_checkpoint(business):
    for _ in range(3):
        opted_in_contact(business=business, kind="informational")
    assert ledger_checkpoint() == 1
    assert ledger_checkpoint() == 0  # nothing new since
    checkpoint = ChainCheckpoint.objects.get(business=business)
    assert checkpoint.seq == 3
    audit = AuditEvent.objects.get(business=business, action="consent.chain_checkpoint")
    assert audit.detail["hash"] == checkpoint.hash == ChainHead.objects.get(business=business).hash
    assert verify(business)[0]
    _cut_tail(business, keep=2)
    # the chain alone cannot tell: what is left is a valid chain ending at its head
    assert selectors.ledger_verify(business=business).ok
    ok, out = verify(business)
    assert not ok
    assert "the checkpoint of event #3 is past the ledger's end (#2)" in out
    assert "the audit record of event #3 is past the ledger's end (#2)" in out


def test_a_forged_checkpoint_is_named(business):
    opted_in_contact(business=business, kind="informational")
    ledger_checkpoint()
    as_superuser(
        ("UPDATE consent_chaincheckpoint SET seq = 7 WHERE business_id = %s", [business.pk])
    )
    ok, out = verify(business)
    assert not ok and "the checkpoint of event #7 has a wrong signature" in out


def test_evidence_of_an_erased_contact_is_checked_to_be_blank(business):
    contact = opted_in_contact(business=business, kind="informational")
    services.contact_erase(business=business, contact=contact)
    assert Suppression.objects.filter(business=business, reason="erased").exists()
    assert verify(business)[0]
    event = ConsentEvent.objects.get(contact=contact)
    # the erased evidence is left out of the digest check, so nothing else would notice
    as_superuser(
        ("UPDATE consent_consentevidence SET ip = '192.0.2.1' WHERE event_id = %s", [event.pk]),
    )
    assert selectors.ledger_verify(business=business).ok
    ok, out = verify(business)
    assert not ok
    assert f"the evidence of event #{event.seq} (contact {contact.uuid}) is not blank" in out


def test_checkpoint_task_runs_through_celery_eagerly(business, settings):
    from consent.tasks import consent_ledger_checkpoint

    opted_in_contact(business=business, kind="informational")
    assert consent_ledger_checkpoint.apply().get() == 1
    assert "consent-checkpoint" in settings.CELERY_BEAT_SCHEDULE
    assert not ConsentState.objects.filter(business=business, status="PENDING").exists()
