"""Reconciliation: a month of the simulated carrier's audit log (what it accepted) against
our usage records and the invoice's lines, to the cent. Messages go through the real drain
to the real carrier over HTTP; some are sent twice (a claim recovered after its worker died:
the carrier logs a duplicate of the same id) and some fail, so double billing and missed
billing would both show."""

from datetime import UTC, date, datetime, time

import pytest
from django.utils import timezone

from accounts.billing import money, services
from accounts.billing.models import BillingAccount, Plan, PriceVersion, UsageKind, UsageRecord
from messaging import dispatch
from messaging import services as messaging_services
from messaging.models import Message
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from messaging.segments import segment_info
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db
S = Message.Status

BODIES = [
    "Your visit is at 3pm. Reply STOP to opt out.",  # 1 segment
    "Reminder: "
    + "your cleaning appointment is confirmed, please arrive early. " * 3
    + "Reply STOP to opt out.",  # 2 segments, GSM-7
    "Your visit is at 3pm 😀 see you soon. Reply STOP to opt out.",  # UCS-2
    "Long notice "
    + "with a café and a crème brûlée on the menu ü " * 4
    + "Reply STOP to opt out.",  # several segments
]


@pytest.fixture
def provider(carrier, settings, monkeypatch):
    settings.CARRIER_BATCH_SIZE = 50
    settings.MESSAGING_RATE_LIMIT = 1000
    settings.MESSAGING_RATE_WINDOW = 1.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


def _priced_plan(business):
    """A plan whose prices exercise rounding: few included segments, $0.0079 a segment."""
    plan = Plan.objects.create(slug="recon", name="Reconciliation", currency="USD")
    PriceVersion.objects.create(
        plan=plan, effective_from=date(2025, 1, 1),
        monthly_fee_cents=1900, included_segments=25, sms_segment_subcents=79, mms_subcents=300,
        number_month_subcents=11500, brand_registration_cents=400, campaign_vetting_cents=1500,
        campaign_monthly_cents=1000,
    )  # fmt: skip
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(plan=plan)
    return PriceVersion.objects.get(plan=plan)


def test_a_month_of_the_carrier_audit_log_reconciles_to_the_cent(business, provider):
    price = _priced_plan(business)
    number = sending_number(business=business)
    messages = []
    for i in range(48):
        contact = consenting_contact(business=business, number=number)
        messages.append(
            messaging_services.message_enqueue(
                business=business,
                body=BODIES[i % len(BODIES)],
                kind="transactional",
                contact=contact,
            )
        )
    provider.control(next=["reject"] * 3)  # three permanent failures: never billed
    dispatch.drain_number(number.pk)
    sent = list(Message.objects.filter(business=business, status=S.SENT))
    assert len(sent) == 45
    assert Message.objects.filter(business=business, status=S.FAILED).count() == 3

    # three claims "recovered" after their worker died: sent again with the same id
    again = sent[:3]
    Message.objects.filter(pk__in=[m.pk for m in again]).update(
        status=S.QUEUED, send_after=timezone.now(), slot_frees_at=None
    )
    dispatch.drain_number(number.pk)
    assert Message.objects.filter(business=business, status=S.SENT).count() == 45

    # the carrier's side: what it accepted this month, once per message id
    period = money.period_of(timezone.now())
    audit = [
        e
        for e in provider.audit()
        if money.period_of(datetime.fromtimestamp(e["accepted_at"], tz=UTC)) == period
    ]
    assert sum(1 for e in audit if e.get("duplicate")) == 3
    accepted = {e["message_id"]: e for e in audit if not e.get("duplicate")}
    assert len(accepted) == 45
    for entry in accepted.values():  # the segments it billed are the body's
        assert entry["segments"] == segment_info(entry["body"]).segments
    carrier_segments = sum(e["segments"] for e in accepted.values())

    # ours: one usage record per accepted message, same segments
    records = UsageRecord.objects.filter(
        business=business, kind=UsageKind.SMS_SEGMENT, period=period
    )
    assert {r.source_key.removeprefix("message:") for r in records} == set(accepted)
    assert sum(r.quantity for r in records) == carrier_segments

    # the invoice: its SMS line, priced, to the cent
    closing = datetime.combine(money.next_period(period), time(0, 30), tzinfo=UTC)
    invoice = services.invoice_close(business=business, period=period, now=closing)
    sms = invoice.lines.get(kind=UsageKind.SMS_SEGMENT)
    billable = carrier_segments - price.included_segments
    expected = (billable * price.sms_segment_subcents * 2 + 100) // 200  # half up, by hand
    assert sms.quantity == carrier_segments
    assert sms.included == price.included_segments
    assert sms.amount_cents == expected
    assert invoice.total_cents == price.monthly_fee_cents + expected
