"""consent_verify names the first broken link; the demo seed is idempotent."""

import io

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
