"""Billing's gate on the send path, through the real drain and the simulated carrier over
HTTP: a paused business's queued messages wait (never dropped) and go once it pays; the
monthly spending cap is never exceeded at the carrier; reservations of unsent messages come
back; keyword answers always go."""

import pytest
from django.utils import timezone

from accounts.billing import money, selectors, services
from accounts.billing.errors import PaymentRequired
from accounts.billing.models import BillingAccount, SpendMonth, SpendReservation
from messaging import dispatch
from messaging import services as messaging_services
from messaging.models import Message
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db
S = Message.Status
BODY = "Your visit is at 3pm. Reply STOP to opt out."


@pytest.fixture
def provider(carrier, settings, monkeypatch):
    settings.CARRIER_BATCH_SIZE = 50
    settings.MESSAGING_RATE_LIMIT = 1000
    settings.MESSAGING_RATE_WINDOW = 1.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _enqueue(business, number, n):
    return [
        messaging_services.message_enqueue(
            business=business,
            body=BODY,
            kind="transactional",
            contact=consenting_contact(business=business, number=number),
        )
        for _ in range(n)
    ]


def _accepted(carrier):
    return [e for e in carrier.audit() if not e.get("duplicate")]


def test_a_paused_business_waits_and_resumes_when_it_pays(business, number, provider):
    queued = _enqueue(business, number, 3)
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        standing=BillingAccount.Standing.PAUSED, pause_reason="invoice INV-000001 is unpaid."
    )
    selectors.standing_forget(business.pk)  # changed by hand here, not by a service
    dispatch.drain_number(number.pk)
    assert _accepted(provider) == []
    for m in Message.objects.filter(pk__in=[m.pk for m in queued]):
        assert m.status == S.SCHEDULED  # waiting, not blocked
        assert m.reasons[-1]["gate"] == "billing" and m.reasons[-1]["code"] == "billing_paused"
    with pytest.raises(PaymentRequired) as refused:
        _enqueue(business, number, 1)
    assert refused.value.status_code == 402
    # a STOP confirmation is never held for billing
    contact = consenting_contact(business=business, number=number)
    confirmation = messaging_services.message_enqueue(
        business=business, body="You are unsubscribed. No more messages.", kind="transactional",
        contact=contact, purpose="opt_out_confirmation", from_number=number,
    )  # fmt: skip
    dispatch.drain_number(number.pk)
    confirmation.refresh_from_db()
    assert confirmation.status == S.SENT
    # paid: the account is active again and the waiting messages go
    services.account_resume_if_settled(business=business, now=timezone.now())
    Message.objects.filter(pk__in=[m.pk for m in queued]).update(send_after=timezone.now())
    dispatch.drain_number(number.pk)
    assert Message.objects.filter(pk__in=[m.pk for m in queued], status=S.SENT).count() == 3


def test_the_spending_cap_is_never_exceeded_at_the_carrier(business, number, provider):
    account = services.account_get_or_create(business=business)
    # 500 segments included, then $0.015 each: a $0.10 cap leaves room for 6 more
    BillingAccount.objects.filter(pk=account.pk).update(monthly_cap_cents=10)
    selectors.standing_forget(business.pk)  # changed by hand here, not by a service
    period = money.period_of(timezone.now())
    SpendMonth.objects.create(business=business, period=period, segments=498)
    messages = _enqueue(business, number, 10)
    dispatch.drain_number(number.pk)
    sent = Message.objects.filter(pk__in=[m.pk for m in messages], status=S.SENT).count()
    assert sent == 8  # 498 + 8 = 506: 6 billable x 1.5 c = 9 c <= 10 c; one more is 10.5
    assert len(_accepted(provider)) == 8
    waiting = Message.objects.filter(pk__in=[m.pk for m in messages], status=S.SCHEDULED)
    assert waiting.count() == 2
    assert all(m.reasons[-1]["code"] == "spending_cap_reached" for m in waiting)
    # a second drain (a retry, another worker) sends nothing more
    Message.objects.filter(pk__in=[m.pk for m in waiting]).update(send_after=timezone.now())
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 8
    # new sends are refused with 402 once nothing fits
    with pytest.raises(PaymentRequired) as refused:
        _enqueue(business, number, 1)
    assert refused.value.code == "spending_cap_reached"
    # the owner raises the cap: they go
    services.cap_set(business=business, cap_cents=1000, actor=None)
    Message.objects.filter(pk__in=[m.pk for m in waiting]).update(send_after=timezone.now())
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 10


def test_reservations_of_unsent_messages_come_back(business, number, provider):
    services.account_get_or_create(business=business)
    messages = _enqueue(business, number, 3)
    provider.control(next=["reject"])  # one refused by the carrier: FAILED, never billed
    dispatch.drain_number(number.pk)
    assert Message.objects.filter(pk__in=[m.pk for m in messages], status=S.FAILED).count() == 1
    month = SpendMonth.objects.get(business=business)
    assert month.segments == 3
    released = messaging_services.billing_release_unsent(settle_after=0)
    assert released == 1
    month.refresh_from_db()
    assert month.segments == 2
    assert SpendReservation.objects.filter(released_at__isnull=True).count() == 2
    # the sent ones keep theirs, however often the sweep runs
    assert messaging_services.billing_release_unsent(settle_after=0) == 0
