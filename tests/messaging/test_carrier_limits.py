"""The carriers' own limits beside the number cap: AT&T's per campaign per minute and
T-Mobile's per brand per day. The table as data (pure), the registrar's figures replacing
it, and the drain against the real simulated carrier over HTTP."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns import selectors as campaign_selectors
from campaigns import throughput
from campaigns.registrars.tcr import campaign_result, reported_limits
from campaigns.services import campaign_apply_registry_result
from messaging import carrier_limits, dispatch, panels, ratecap, selectors, services
from messaging.models import BrandDay, Message, SendLane
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.campaigns import CampaignFactory
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

S = Message.Status
BODY = "Your visit is at 3pm. Reply STOP to opt out."


# --- the table (pure) ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("usecase", "sole", "score", "klass", "tpm", "tier", "daily"),
    [
        ("MIXED", False, 90, "B", 4500, "TOP", 200000),
        ("ACCOUNT_NOTIFICATION", False, 75, "A", 4500, "TOP", 200000),
        ("MARKETING", False, 60, "D", 2400, "HIGH_MID", 40000),
        ("CUSTOMER_CARE", False, 50, "C", 2400, "HIGH_MID", 40000),
        ("MIXED", False, 30, "F", 240, "LOW_MID", 10000),
        ("CUSTOMER_CARE", False, 10, "E", 240, "LOW", 2000),
        ("CUSTOMER_CARE", False, None, "E", 240, "LOW", 2000),  # never vetted
        ("LOW_VOLUME", False, 95, "T", 75, "TOP", 200000),
        ("SOLE_PROPRIETOR", True, None, "SP", 15, "SOLE_PROPRIETOR", 1000),
    ],
)
def test_default_limits_come_from_the_table(usecase, sole, score, klass, tpm, tier, daily):
    limits = throughput.limits_for(usecase=usecase, sole_proprietor=sole, vetting_score=score)
    assert (limits.message_class, limits.campaign_tpm) == (klass, tpm)
    assert (limits.brand_tier, limits.brand_daily) == (tier, daily)
    assert limits.campaign_source == limits.brand_source == "default"


def test_the_registrars_figures_replace_the_defaults():
    limits = throughput.limits_for(
        usecase="MIXED", sole_proprietor=False, vetting_score=10,
        reported_class="G", reported_tpm=600, reported_tier="HIGH_MID", reported_daily=40000,
    )  # fmt: skip
    assert limits.as_dict() == {
        "message_class": "G",
        "campaign_tpm": 600,
        "campaign_source": "registrar",
        "brand_tier": "HIGH_MID",
        "brand_daily": 40000,
        "brand_source": "registrar",
    }


def test_every_figure_names_its_source():
    data = throughput.table()
    for part in ("att_tpm", "tmobile_daily"):
        assert data[part]["sources"] and all(s for s in data[part]["sources"])
        assert data[part]["sole_proprietor"]["sources"]


def test_the_day_is_the_calendar_day_in_pacific_time():
    noon = datetime(2026, 7, 1, 19, 0, tzinfo=UTC).timestamp()  # 12:00 PDT
    start, end = throughput.period_bounds(noon)
    assert datetime.fromtimestamp(start, UTC) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert end - start == 86400
    # the day the clocks go back is 25 hours long, and still ends at midnight
    fall = datetime(2026, 11, 1, 12, 0, tzinfo=UTC).timestamp()
    start, end = throughput.period_bounds(fall)
    assert end - start == 25 * 3600
    assert datetime.fromtimestamp(end, UTC) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    # shortened periods for benchmarks
    assert throughput.period_bounds(1000.5, period=100) == (1000, 1100)


def test_tcr_mno_metadata_is_read_and_junk_ignored():
    data = {
        "10017": {"mno": "AT&T", "msgClass": "C", "tpm": 2400},
        "10035": {"mno": "T-Mobile", "brandTier": "LOW_MID", "brandDailyCap": 10000},
    }
    assert reported_limits(data) == {
        "att_message_class": "C",
        "att_tpm": 2400,
        "tmobile_tier": "LOW_MID",
        "tmobile_daily_cap": 10000,
    }
    assert reported_limits({"10017": {"tpm": "lots", "msgClass": 7}, "10035": []}) == {}
    assert reported_limits(None) == {}


@pytest.mark.django_db
def test_registry_result_stores_the_reported_limits(business):
    campaign = CampaignFactory(business=business)
    assert campaign_selectors.carrier_limits(campaign=campaign).campaign_source == "default"
    result = campaign_result(
        {
            "campaignId": "C123",
            "campaignStatus": "ACTIVE",
            "mnoMetadata": {
                "10017": {"msgClass": "A", "tpm": 4500},
                "10035": {"brandTier": "TOP", "brandDailyCap": 200000},
            },
        }
    )
    campaign_apply_registry_result(campaign=campaign, result=result, source="registry")
    campaign.refresh_from_db()
    limits = campaign_selectors.carrier_limits(campaign=campaign)
    assert (limits.message_class, limits.campaign_tpm, limits.campaign_source) == (
        "A",
        4500,
        "registrar",
    )
    assert (limits.brand_tier, limits.brand_daily, limits.brand_source) == (
        "TOP",
        200000,
        "registrar",
    )


# --- the drain ------------------------------------------------------------------------------
@pytest.fixture
def provider(carrier, settings, monkeypatch):
    settings.CARRIER_BATCH_SIZE = 100
    settings.MESSAGING_RATE_LIMIT = 5
    settings.MESSAGING_RATE_WINDOW = 2.0
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


def _accepted(carrier):
    return [e for e in carrier.audit() if not e.get("duplicate")]


def _enqueue(business, number, n):
    return [
        services.message_enqueue(
            business=business,
            body=BODY,
            kind="transactional",
            contact=consenting_contact(business=business, number=number),
            from_number=number,
        )
        for _ in range(n)
    ]


@pytest.mark.django_db
def test_campaign_limit_holds_across_its_numbers(business, provider, settings):
    # a window long enough that the first number's slots are still held when the second
    # drains, however slow the machine
    settings.MESSAGING_RATE_WINDOW = 10.0
    first = sending_number(business=business)
    campaign = first.campaign
    campaign.att_tpm = 6  # per window here (10 s), below the two numbers' 5 + 5
    campaign.save()
    second = sending_number(business=business, campaign=campaign)
    _enqueue(business, first, 5)
    _enqueue(business, second, 5)
    dispatch.drain_number(first.pk)
    dispatch.drain_number(second.pk)
    sent = _accepted(provider)
    assert len(sent) == 6  # 5 from the first number, 1 from the second
    lane = SendLane.objects.get(number=second)
    assert lane.waiting_for == "campaign" and lane.waiting_until is not None
    assert Message.objects.filter(status=S.SENT, campaign=campaign).count() == 6
    # the messages' own outcome says what they wait for
    waiting = Message.objects.filter(from_number=second, status=S.QUEUED).first()
    waits = selectors.lane_waits(business=business, number_ids=[second.pk])
    outcome = selectors.message_outcome(waiting, waits[second.pk])
    assert outcome.label == "waiting for the campaign's limit" and outcome.tone == "warn"
    assert "AT&T: 6 a minute" in outcome.reason
    assert any(
        "campaign's per-minute limit" in i["title"] for i in panels.attention_items(business)
    )
    # the lane comes back when the campaign's slots free, and the rest goes out then
    while Message.objects.filter(status=S.QUEUED).exists():
        for number in (first, second):
            lane = SendLane.objects.get(number=number)
            if lane.drain_at and lane.drain_at > timezone.now():
                pause = (lane.drain_at - timezone.now()).total_seconds()
                time.sleep(min(pause, 12.0))
            dispatch.drain_number(number.pk)
    events = [(e["accepted_at"], e.get("segments", 1)) for e in _accepted(provider)]
    assert len(events) == 10
    assert ratecap.max_in_window(events, window=10.0) <= 6


@pytest.mark.django_db
def test_brand_daily_limit_waits_for_the_next_day_and_refused_messages_count_nothing(
    business, provider, settings
):
    settings.MESSAGING_BRAND_PERIOD = 3600.0
    number = sending_number(business=business)
    brand = number.campaign.brand
    brand.tmobile_daily_cap = 3
    brand.save()
    provider.control(next=["reject"])  # the first message is refused: nothing landed
    _enqueue(business, number, 5)
    dispatch.drain_number(number.pk)
    refused = Message.objects.filter(status=S.FAILED)
    assert refused.count() == 1
    # three landed, the refused one gave its segment back; one waits for the next day
    assert len(_accepted(provider)) == 3
    day = BrandDay.objects.get(brand=brand)
    assert day.used == 3
    lane = SendLane.objects.get(number=number)
    assert lane.waiting_for == "brand_day"
    _, end = carrier_limits.period_bounds(timezone.now().timestamp())
    assert abs(lane.waiting_until.timestamp() - end) < 1
    waiting = Message.objects.get(status=S.QUEUED)
    outcome = selectors.message_outcome(
        waiting, selectors.lane_waits(business=business, number_ids=[number.pk])[number.pk]
    )
    assert outcome.label == "waiting for the brand's daily limit"
    assert outcome.reason.startswith(
        "Waiting for the brand's daily limit (T-Mobile: 3 a day); it resets at"
    )
    # a broadcast from this number now waits for the next day, and says so
    preview = selectors.broadcast_preview(
        business=business, body=BODY, from_number=number, tags=None, contact_uuids=None
    )
    assert preview["limited_by"] == "brand_day"
    assert preview["estimate_seconds"] >= end - timezone.now().timestamp() - 1
    # and the dashboard names the wait
    items = panels.attention_items(business)
    assert any(
        i["title"] == "1 message waiting for the brand's daily limit" and "T-Mobile" in i["help"]
        for i in items
    )


@pytest.mark.django_db
def test_limits_off_only_the_number_cap_applies(business, provider, settings):
    settings.MESSAGING_CARRIER_LIMITS = False
    number = sending_number(business=business)
    number.campaign.att_tpm = 1
    number.campaign.save()
    _enqueue(business, number, 5)
    dispatch.drain_number(number.pk)
    assert len(_accepted(provider)) == 5
    assert not BrandDay.objects.exists()


@pytest.mark.django_db
def test_the_message_log_the_message_page_and_the_dashboard_say_what_a_text_waits_for(
    owner_client, business
):
    number = sending_number(business=business)
    brand = number.campaign.brand
    brand.tmobile_daily_cap = 2000
    brand.save()
    waiting = MessageFactory(business=business, from_number=number, status=S.QUEUED)
    sent = MessageFactory(business=business, from_number=number, status=S.SENT)
    resets = timezone.now() + timedelta(hours=3)
    SendLane.objects.create(
        business=business, number=number, waiting_for="brand_day", waiting_until=resets
    )
    log = owner_client.get("/app/messages/").content.decode()
    assert log.count("Waiting for the brand&#x27;s daily limit (T-Mobile: 2,000 a day)") == 1
    assert "waiting for the brand&#x27;s daily limit".capitalize() in log
    page = owner_client.get(f"/app/messages/{waiting.uuid}/").content.decode()
    assert 'data-field="wait"' in page and "T-Mobile: 2,000 a day" in page
    assert "T-Mobile" not in owner_client.get(f"/app/messages/{sent.uuid}/").content.decode()
    dashboard = owner_client.get("/app/").content.decode()
    assert "1 message waiting for the brand&#x27;s daily limit" in dashboard
    # once the day has reset, nothing is said any more
    SendLane.objects.filter(number=number).update(waiting_until=timezone.now())
    assert "T-Mobile" not in owner_client.get("/app/messages/").content.decode()
