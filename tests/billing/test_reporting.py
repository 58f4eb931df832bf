"""What the apps above report down to billing: campaigns (numbers held per day, 10DLC fees
at cost), policies (carrier fines, and credits against them); each once. And the beat
tasks, which call the same services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.billing import money, services, tasks
from accounts.billing.models import CreditNote, Invoice, UsageKind, UsageRecord
from campaigns import services as campaign_services
from campaigns.models import PhoneNumber
from campaigns.tasks import billing_report_day as billing_report_day_task
from policies import penalties
from tests.factories.campaigns import PhoneNumberFactory

pytestmark = pytest.mark.django_db


def _kinds(business):
    return sorted(UsageRecord.objects.filter(business=business).values_list("kind", flat=True))


def test_numbers_held_and_campaign_fees_are_reported_once_a_day(business):
    number = PhoneNumberFactory(business=business)  # on an APPROVED campaign
    released = PhoneNumberFactory(business=business, campaign=number.campaign)
    PhoneNumber.objects.filter(pk=released.pk).update(
        status=PhoneNumber.Status.RELEASED, released_at=timezone.now() - timedelta(days=3)
    )
    today = timezone.now().date()
    assert campaign_services.billing_report_day(day=today) == 2  # one number, one campaign
    campaign_services.billing_report_day(day=today)  # a second run records nothing twice
    assert _kinds(business) == [UsageKind.CAMPAIGN_MONTHLY, UsageKind.NUMBER_DAY]
    fee = UsageRecord.objects.get(business=business, kind=UsageKind.CAMPAIGN_MONTHLY)
    assert fee.amount_cents == 1000 and "pass-through" not in fee.description
    # the next day: another number-day, the same month's campaign fee already recorded
    campaign_services.billing_report_day(day=today + timedelta(days=1))
    assert _kinds(business).count(UsageKind.NUMBER_DAY) == 2
    assert _kinds(business).count(UsageKind.CAMPAIGN_MONTHLY) == (
        1 if money.period_of(today) == money.period_of(today + timedelta(days=1)) else 2
    )
    assert billing_report_day_task() >= 2  # the beat task: yesterday and today


def test_registrations_pass_their_fees_through_at_cost(business):
    campaign_services.billing_report_registration(
        business=business,
        key="brand:b1:registration",
        kind=UsageKind.BRAND_REGISTRATION,
        description="brand Rosa",
    )
    campaign_services.billing_report_registration(
        business=business,
        key="brand:b1:registration",
        kind=UsageKind.BRAND_REGISTRATION,
        description="brand Rosa (retried)",
    )
    (record,) = UsageRecord.objects.filter(business=business)
    assert record.amount_cents == 400 and record.description == "brand Rosa"


def test_carrier_fines_are_passed_through_and_credits_undo_them(business, staff_user):
    fine = penalties.penalty_record(
        business=business, kind="FINE", carrier="T-Mobile", carrier_reference="TM-1",
        amount=Decimal("250.00"), incurred_on=timezone.now().date(),
        description="Spam complaint", actor=staff_user,
    )  # fmt: skip
    record = UsageRecord.objects.get(source_key=f"penalty:{fine.uuid}")
    assert record.kind == UsageKind.CARRIER_FINE and record.amount_cents == 25000
    assert "T-Mobile fine TM-1" in record.description
    # a partial credit before invoicing: a negative line on the coming invoice
    penalties.penalty_record(
        business=business, kind="CREDIT", carrier="T-Mobile", carrier_reference="TM-1-C",
        amount=Decimal("50.00"), incurred_on=timezone.now().date(),
        description="Reduced on appeal", offsets=fine, actor=staff_user,
    )  # fmt: skip
    credit = UsageRecord.objects.get(amount_cents=-5000)
    assert credit.kind == UsageKind.CARRIER_FINE
    # a full credit: the fine is waived, left off the invoice
    penalties.penalty_record(
        business=business, kind="CREDIT", carrier="T-Mobile", carrier_reference="TM-1-D",
        amount=Decimal("250.00"), incurred_on=timezone.now().date(),
        description="Withdrawn", offsets=fine, actor=staff_user,
    )  # fmt: skip
    record.refresh_from_db()
    assert record.waived_at is not None


def test_a_credit_against_an_invoiced_fine_is_a_credit_note(business, staff_user):
    last_month = money.previous_period(money.period_of(timezone.now()))
    fine = penalties.penalty_record(
        business=business, kind="FINE", carrier="AT&T", carrier_reference="A-1",
        amount=Decimal("100.00"), incurred_on=last_month, description="Spam",
        actor=staff_user,
    )  # fmt: skip
    UsageRecord.objects.filter(source_key=f"penalty:{fine.uuid}").update(
        occurred_at=timezone.now() - timedelta(days=40), period=last_month
    )
    assert tasks.billing_periods_close() >= 0  # the beat task; may find nothing to close
    invoice = services.invoice_close(business=business, period=last_month)
    assert invoice.lines.filter(kind=UsageKind.CARRIER_FINE).get().amount_cents == 10000
    penalties.penalty_record(
        business=business, kind="CREDIT", carrier="AT&T", carrier_reference="A-1-C",
        amount=Decimal("100.00"), incurred_on=timezone.now().date(), description="Withdrawn",
        offsets=fine, actor=staff_user,
    )  # fmt: skip
    note = CreditNote.objects.get(invoice=invoice)
    assert note.amount_cents == 10000
    invoice.refresh_from_db()
    assert invoice.balance_cents == invoice.total_cents - 10000


def test_the_beat_tasks_call_the_services(business):
    result = tasks.billing_dunning_run()
    assert result == {"retried": 0, "paused": 0}
    assert Invoice.objects.count() == 0
    assert date.today().year >= 2026
