"""consent_verify names the first broken link; the demo seed is idempotent; bench_import
measures a real import and leaves its rows only with --keep."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from consent.models import ConsentEvent, Contact, OptInForm
from tests.factories.consent import opted_in_contact

pytestmark = pytest.mark.django_db


def test_consent_verify_names_the_first_broken_link(business):
    contacts = [opted_in_contact(business=business, kind="marketing") for _ in range(3)]
    out = io.StringIO()
    call_command("consent_verify", business=str(business.uuid), stdout=out)
    assert "OK" in out.getvalue() and "3 events" in out.getvalue()
    second = ConsentEvent.objects.get(contact=contacts[1])
    with connection.cursor() as cursor:
        # what an attacker with database access would have to do: bypass the trigger
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE consent_consentevent SET source = 'forged' WHERE id = %s", [second.pk]
        )
        cursor.execute("SET session_replication_role = origin")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("consent_verify", business=str(business.uuid), stdout=out)
    assert f"event #{second.seq} {second.uuid}" in out.getvalue()
    assert "does not match its hash" in out.getvalue()


def test_evidence_tampering_is_detected(business):
    contact = opted_in_contact(business=business, kind="marketing")
    event = ConsentEvent.objects.get(contact=contact)
    event.evidence.ip = "192.0.2.66"
    event.evidence.save()
    from consent.selectors import ledger_verify

    report = ledger_verify(business=business)
    assert not report.ok and report.first_broken_seq == event.seq
    assert "evidence" in report.reason


def test_demo_seed_is_idempotent(business, owner):
    from campaigns import demo as campaigns_demo
    from consent import demo

    campaigns_demo.seed(business=business, owner=owner)
    demo.seed(business=business, owner=owner)
    demo.seed(business=business, owner=owner)
    assert OptInForm.objects.filter(business=business).count() == 1
    assert Contact.objects.filter(business=business).count() == 3
    assert ConsentEvent.objects.filter(business=business).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("keep", [False, True], ids=["rolled-back", "committed"])
def test_bench_import_measures_the_import_and_keeps_data_only_when_asked(tmp_path, keep):
    out = tmp_path / "bench.json"
    args = ["bench_import", "--rows", "400", "--suppressed", "10", "--output", str(out)]
    stdout = io.StringIO()
    call_command(*args, *(["--keep"] if keep else []), stdout=stdout)
    figures = json.loads(out.read_text())
    assert figures["status"] == "DONE" and not figures["error"]
    assert figures["ledger_verified"] is True
    # every row is accounted for: 10 refused as suppressed, 1 in 10 without evidence
    assert figures["suppressed"] == 10 and figures["created"] == 390
    assert figures["consented"] + figures["no_evidence"] == 390
    assert figures["no_evidence"] in range(30, 41)
    assert figures["ledger_events"] == figures["consented"]
    assert figures["rows_per_second"] > 0
    assert f"{figures['rows_per_second']} rows/s" in stdout.getvalue()
    # only a committed run is timed without a separate check step, and leaves its rows
    assert (figures["rows_per_second_before_commit_checks"] is None) is keep
    assert "committed" in figures["measured"] if keep else "rolled back" in figures["measured"]
    assert ConsentEvent.objects.count() == (figures["consented"] if keep else 0)
    assert Contact.objects.count() == (390 if keep else 0)
