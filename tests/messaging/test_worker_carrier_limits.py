"""The carriers' limits under real Celery workers (other processes), PostgreSQL, the Redis
broker and the simulated carrier: three numbers of one campaign whose per-minute limit is
below their sum, a brand whose day is shorter still, and a worker SIGKILLed mid-drain.
Judged from the carrier's audit log."""

import time
from collections import Counter

import pytest
from django.db import transaction

from campaigns.throughput import period_bounds
from messaging import ratecap, services
from messaging.models import BrandDay, Message
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db(transaction=True)
LIMIT, WINDOW = 5, 2.0  # per number: 3 numbers could send 15 per window
TPM = 7  # the campaign's limit per window, below the numbers' 15
PERIOD, DAILY = 6.0, 12  # the brand's "day": 12 per 6 s, below the campaign's 21


@pytest.fixture
def send_path(settings, carrier):
    settings.MESSAGING_RATE_LIMIT = LIMIT
    settings.MESSAGING_RATE_WINDOW = WINDOW
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_RECOVERY_GRACE = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.MESSAGING_BRAND_PERIOD = PERIOD
    settings.CARRIER_URL = carrier.url
    return carrier


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_campaign_and_brand_limits_hold_with_several_workers_and_a_sigkill(
    business, send_path, celery_procs
):
    first = sending_number(business=business)
    campaign = first.campaign
    campaign.att_tpm = TPM
    campaign.save()
    campaign.brand.tmobile_daily_cap = DAILY
    campaign.brand.save()
    numbers = [first] + [sending_number(business=business, campaign=campaign) for _ in range(2)]
    ids = []
    for number in numbers:
        for _ in range(10):
            contact = consenting_contact(business=business, number=number)
            with transaction.atomic():
                m = services.message_enqueue(
                    business=business,
                    body="Reminder: visit tomorrow at 3pm. Reply STOP to opt out.",
                    kind="transactional",
                    contact=contact,
                    from_number=number,
                )
            ids.append(str(m.uuid))
    workers = [celery_procs("worker", f"w{i}") for i in range(3)]
    celery_procs("beat", "beat")
    _wait(lambda: len(send_path.audit()) >= 5, 60, "the first messages accepted")
    workers[0].kill()
    _wait(
        lambda: Message.objects.filter(uuid__in=ids, status=S.SENT).count() == len(ids),
        180,
        "every message sent after the kill",
    )
    firsts = [e for e in send_path.audit() if not e.get("duplicate")]
    landed = Counter(e["message_id"] for e in firsts)
    assert set(landed) == set(ids) and max(landed.values()) == 1  # none lost, none twice
    events = [(e["accepted_at"], e["segments"]) for e in firsts]
    for number in numbers:
        mine = [(e["accepted_at"], e["segments"]) for e in firsts if e["from"] == number.e164]
        assert ratecap.max_in_window(mine, window=WINDOW) <= LIMIT
    assert ratecap.max_in_window(events, window=WINDOW) <= TPM
    per_period = Counter(period_bounds(t, period=PERIOD)[0] for t, _ in events)
    assert max(per_period.values()) <= DAILY, per_period
    # the brand's limit bound (30 messages cannot go in fewer than three periods of 12),
    # so the checks meant something; the rows agree with the carrier
    assert len(per_period) >= 3, per_period
    days = dict(BrandDay.objects.filter(brand=campaign.brand).values_list("period_start", "used"))
    assert sum(days.values()) >= len(ids)  # every landed message was counted
    assert all(v <= DAILY for v in days.values())
