"""Billing services on PostgreSQL: metering once, invoices (lines, numbers without gaps,
immutability), credit notes, waived fines, price versions, the cap's counter, retention and
the data export."""

from datetime import date, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.billing import money, privacy, selectors, services
from accounts.billing.errors import Conflict, ValidationFailed
from accounts.billing.models import (
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
    PriceVersion,
    SpendMonth,
    UsageKind,
    UsageRecord,
)
from accounts.models import AuditEvent
from accounts.privacy.exports import business_export_build, user_export_build
from accounts.roles import Role
from tests.factories.accounts import MembershipFactory

pytestmark = pytest.mark.django_db

PERIOD = date(2026, 10, 1)
IN_PERIOD = timezone.make_aware(datetime(2026, 10, 15, 12, 0))
AFTER = timezone.make_aware(datetime(2026, 11, 1, 0, 30))


def _messages(business, n, segments=1, at=IN_PERIOD, prefix="m"):
    services.usage_record_many(
        business_id=business.pk,
        items=[
            services.message_usage(
                message_uuid=f"{prefix}{i}", segments=segments, mms=False, accepted_at=at
            )
            for i in range(n)
        ],
    )


def test_usage_is_recorded_once_per_source(business):
    _messages(business, 3, segments=2)
    _messages(business, 3, segments=2)  # a retry, a duplicate receipt
    assert UsageRecord.objects.filter(business=business).count() == 3
    totals = selectors.usage_totals(business=business, period=PERIOD)
    assert totals[UsageKind.SMS_SEGMENT]["quantity"] == 6


def test_usage_refuses_amounts_on_priced_kinds_and_unknown_kinds(business):
    with pytest.raises(ValueError):
        services.usage_record_many(
            business_id=business.pk,
            items=[services.Usage("x", UsageKind.SMS_SEGMENT, IN_PERIOD, 1, amount_cents=5)],
        )
    with pytest.raises(ValueError):
        services.usage_record_many(
            business_id=business.pk, items=[services.Usage("y", "COFFEE", IN_PERIOD)]
        )


def test_invoice_lines_price_the_period(business, owner):
    services.account_get_or_create(business=business)
    _messages(business, 400, segments=2)  # 800 segments, 500 included, 300 x $0.015 = $4.50
    services.usage_record_many(
        business_id=business.pk,
        items=[services.Usage(f"number:n1:{d}", UsageKind.NUMBER_DAY, IN_PERIOD) for d in range(31)]
        + [
            services.pass_through_usage(
                business=business,
                kind=UsageKind.CAMPAIGN_VETTING,
                source_key="campaign:c1:vetting",
                occurred_at=IN_PERIOD,
                description="campaign Reminders",
            ),
            services.Usage(
                "penalty:p1", UsageKind.CARRIER_FINE, IN_PERIOD, 1, 1000, "T-Mobile fine X1"
            ),
        ],
    )
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    lines = {line.kind: line for line in invoice.lines.all()}
    assert lines["PLAN_FEE"].amount_cents == 2500
    assert (lines["SMS_SEGMENT"].quantity, lines["SMS_SEGMENT"].included) == (800, 500)
    assert lines["SMS_SEGMENT"].amount_cents == 450
    assert lines["NUMBER_DAY"].amount_cents == 150  # a whole month of one number
    assert lines["CAMPAIGN_VETTING"].amount_cents == 1500
    assert "pass-through" in lines["CAMPAIGN_VETTING"].description
    assert lines["CARRIER_FINE"].amount_cents == 1000
    assert "Carrier fine" in lines["CARRIER_FINE"].description
    assert invoice.total_cents == 2500 + 450 + 150 + 1500 + 1000
    assert invoice.number.startswith("INV-")
    # every usage record of the period is now on it
    assert not UsageRecord.objects.filter(business=business, invoice__isnull=True).exists()
    # closing again returns the same invoice
    assert services.invoice_close(business=business, period=PERIOD, now=AFTER) == invoice


def test_a_period_is_closed_only_once_it_ended(business):
    with pytest.raises(Conflict):
        services.invoice_close(business=business, period=PERIOD, now=IN_PERIOD)
    with pytest.raises(ValidationFailed):
        services.invoice_close(business=business, period=date(2026, 10, 2), now=AFTER)


def test_numbers_have_no_gaps_even_when_an_issue_rolls_back(business, other_business):
    first = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.invoice_close(business=other_business, period=PERIOD, now=AFTER)
        raise RuntimeError("the issuing transaction fails after taking a number")
    second = services.invoice_close(business=other_business, period=PERIOD, now=AFTER)
    n1, n2 = int(first.number.split("-")[1]), int(second.number.split("-")[1])
    assert n2 == n1 + 1


def test_issued_invoices_are_immutable_in_the_database(business):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(total_cents=1)
    with (
        pytest.raises(Exception, match="never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        InvoiceLine.objects.filter(invoice=invoice).update(amount_cents=0)
    # status and payment may still move
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)


def test_one_invoice_per_business_and_period(business):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            business=business, number="INV-X", period_start=PERIOD, period_end=PERIOD,
            currency="USD", total_cents=0, billed_to_name="x", issued_at=AFTER,
        )  # fmt: skip
    assert invoice.pk


def test_credit_note_on_an_unpaid_invoice_lowers_what_is_charged(business, staff_user):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    note = services.credit_note_issue(
        invoice=invoice, amount_cents=500, reason="Outage on Oct 3", actor=staff_user
    )
    invoice.refresh_from_db()
    assert note.number.startswith("CN-")
    assert invoice.balance_cents == invoice.total_cents - 500
    assert AuditEvent.objects.filter(action="billing.credit_note.issue", actor=staff_user).exists()
    with pytest.raises(ValidationFailed):
        services.credit_note_issue(invoice=invoice, amount_cents=10**6, reason="x", actor=None)
    with pytest.raises(ValidationFailed):
        services.credit_note_issue(invoice=invoice, amount_cents=5, reason=" ", actor=None)
    # covering the rest settles it
    services.credit_note_issue(
        invoice=invoice, amount_cents=invoice.balance_cents, reason="Goodwill", actor=staff_user
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.balance_cents == 0
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).update(amount_cents=1)


def test_waiving_a_fine_before_and_after_it_is_invoiced(business, staff_user):
    fine = services.Usage("penalty:a", UsageKind.CARRIER_FINE, IN_PERIOD, 1, 2500, "fine A")
    later = services.Usage(
        "penalty:b", UsageKind.CARRIER_FINE, AFTER + timedelta(days=2), 1, 700, "fine B"
    )
    services.usage_record_many(business_id=business.pk, items=[fine, later])
    record_a = UsageRecord.objects.get(source_key="penalty:a")
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    assert invoice.lines.filter(kind=UsageKind.CARRIER_FINE).count() == 1
    # invoiced: a credit note corrects it
    note = services.fine_waive(record=record_a, reason="carrier reversed it", actor=staff_user)
    assert isinstance(note, CreditNote) and note.amount_cents == 2500
    # not yet invoiced: left off the next invoice
    record_b = UsageRecord.objects.get(source_key="penalty:b")
    services.fine_waive(record=record_b, reason="first offence", actor=staff_user)
    record_b.refresh_from_db()
    assert record_b.waived_at is not None
    assert AuditEvent.objects.filter(action="billing.fine.waive").exists()
    nov = services.invoice_close(
        business=business, period=date(2026, 11, 1), now=AFTER + timedelta(days=31)
    )
    assert not nov.lines.filter(kind=UsageKind.CARRIER_FINE).exists()
    with pytest.raises(Conflict):
        services.fine_waive(record=record_b, reason="again", actor=staff_user)


def test_price_versions_apply_from_the_next_period_only(business, staff_user):
    account = services.account_get_or_create(business=business)
    now = timezone.make_aware(datetime(2026, 10, 20))
    base = {
        "monthly_fee_cents": 3000, "included_segments": 0, "sms_segment_subcents": 200,
        "mms_subcents": 500, "number_month_subcents": 20000, "brand_registration_cents": 400,
        "campaign_vetting_cents": 1500, "campaign_monthly_cents": 1000,
    }  # fmt: skip
    with pytest.raises(ValidationFailed):  # the running period: never retroactive
        services.price_version_create(
            plan=account.plan, effective_from=PERIOD, actor=staff_user, now=now, **base
        )
    with pytest.raises(ValidationFailed):
        services.price_version_create(
            plan=account.plan, effective_from=date(2026, 11, 5), actor=staff_user, now=now, **base
        )
    services.price_version_create(
        plan=account.plan, effective_from=date(2026, 11, 1), actor=staff_user, now=now, **base
    )
    assert selectors.price_for(plan=account.plan, period=PERIOD).monthly_fee_cents == 2500
    assert (
        selectors.price_for(plan=account.plan, period=date(2026, 11, 1)).monthly_fee_cents == 3000
    )
    october = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    assert october.total_cents == 2500
    assert PriceVersion.objects.filter(plan=account.plan).count() == 2


def test_spend_reserve_never_passes_the_cap_and_counts_once(business):
    account = services.account_get_or_create(business=business)
    account.monthly_cap_cents = 3  # 500 included, then $0.015 a segment: 2 more segments fit
    account.save()
    now = IN_PERIOD
    items = [services.SpendItem(f"message:{i}", 100) for i in range(5)]
    with transaction.atomic():
        answers = services.spend_reserve(business_id=business.pk, items=items, now=now)
    assert answers == [True, True, True, True, True]  # 500 segments: all included
    more = [services.SpendItem("message:a", 1), services.SpendItem("message:b", 1),
            services.SpendItem("message:c", 1), services.SpendItem("message:d", 1)]  # fmt: skip
    with transaction.atomic():
        answers = services.spend_reserve(business_id=business.pk, items=more, now=now)
    assert answers == [True, True, False, False]
    # a re-claim of a reserved message passes without counting twice
    with transaction.atomic():
        assert services.spend_reserve(business_id=business.pk, items=more[:1], now=now) == [True]
    month = SpendMonth.objects.get(business=business, period=PERIOD)
    assert (month.segments, month.mms) == (502, 0)
    refusal = selectors.send_refusal(business=business, now=now)
    assert refusal is not None and refusal.code == "spending_cap_reached"
    assert refusal.status_code == 402
    # an unsent message gives its reservation back; a sent one keeps it
    _messages(business, 1, prefix="a")  # message "a0"... not the key: usage key differs
    services.usage_record_many(
        business_id=business.pk,
        items=[services.message_usage(message_uuid="a", segments=1, mms=False, accepted_at=now)],
    )
    released = services.spend_release(
        business_id=business.pk, keys=["message:a", "message:b"], now=now
    )
    assert released == 1
    month.refresh_from_db()
    assert month.segments == 501
    assert selectors.send_refusal(business=business, now=now) is None


def test_cap_and_contact_settings_are_audited(business, owner):
    account = services.cap_set(business=business, cap_cents=12345, actor=owner.user)
    assert account.monthly_cap_cents == 12345
    assert AuditEvent.objects.filter(action="billing.cap.set").exists()
    with pytest.raises(ValidationFailed):
        services.cap_set(business=business, cap_cents=-1, actor=owner.user)
    services.billing_email_set(business=business, email="books@example.com", actor=owner.user)
    account.refresh_from_db()
    assert account.billing_email == "books@example.com"


def test_invoice_email_goes_to_the_billing_contact_with_the_pdf(business, owner):
    MembershipFactory(business=business, role=Role.BILLING)
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    services.invoice_email(invoice=invoice)
    (message,) = mail.outbox
    assert owner.user.email in message.to
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert message.attachments[0][1].startswith(b"%PDF")
    assert "Total: $25.00" in message.body
    mail.outbox.clear()
    services.billing_email_set(business=business, email="books@example.com", actor=None)
    services.invoice_email(invoice=invoice)
    assert mail.outbox[0].to == ["books@example.com"]


def test_retention_anonymises_the_person_and_keeps_the_amounts(business):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    account = BillingAccount.objects.get(business=business)
    account.billing_email = "books@example.com"
    account.save()
    counts = privacy.billing_records_anonymise(now=AFTER + timedelta(days=365), dry_run=False)
    assert counts["invoices"] == 0
    later = AFTER + timedelta(days=round(365.25 * 7) + 2)
    assert privacy.billing_records_anonymise(now=later, dry_run=True)["invoices"] == 1
    privacy.billing_records_anonymise(now=later, dry_run=False)
    invoice.refresh_from_db()
    assert invoice.billed_to_name == privacy.ANONYMISED and invoice.billed_to_email == ""
    assert invoice.total_cents == 2500 and invoice.number.startswith("INV-")
    business.data_purged_at = later
    business.save()
    privacy.billing_records_anonymise(now=later, dry_run=False)
    account.refresh_from_db()
    assert account.billing_email == ""


def test_the_business_export_includes_invoices(business):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    export = business_export_build(business=business)
    section = export["sections"]["billing"] if "sections" in export else export["billing"]
    (row,) = section["invoices"]
    assert row["number"] == invoice.number
    assert row["lines"][0]["amount_cents"] == 2500


def test_the_person_s_own_export_includes_invoices_billed_to_them(business, owner):
    invoice = services.invoice_close(business=business, period=PERIOD, now=AFTER)
    billed = business.memberships.get(user__email=invoice.billed_to_email).user
    export = user_export_build(user=billed)
    section = export["sections"]["billing"] if "sections" in export else export["billing"]
    (row,) = section["invoices_billed_to_you"]
    assert row["number"] == invoice.number and row["total_cents"] == 2500


def test_periods_close_issues_last_month_for_every_account(business, other_business):
    services.account_get_or_create(business=business)
    services.account_get_or_create(business=other_business)
    BillingAccount.objects.update(created_at=IN_PERIOD)
    assert services.periods_close(now=AFTER) == 2
    assert services.periods_close(now=AFTER) == 0
    assert Invoice.objects.filter(period_start=PERIOD).count() == 2


def test_balances_for_staff(business):
    services.invoice_close(business=business, period=PERIOD, now=AFTER)
    assert selectors.balance_cents(business=business) == 2500
    (row,) = [a for a in selectors.balances() if a.business_id == business.pk]
    assert row.owed == 2500
    assert money.format_cents(row.owed) == "$25.00"
