"""The dashboard: panels from the registry, what needs attention, activity, number queues."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.portal import dashboard
from accounts.roles import Role
from campaigns.models import Campaign
from consent import services as consent_services
from consent.models import Method
from messaging import panels as messaging_panels
from messaging.models import Message
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory
from tests.factories.messaging import MessageFactory, sending_number

pytestmark = pytest.mark.django_db


def test_registry_orders_panels_and_isolates_failures(business):
    def boom(b):
        raise RuntimeError("broken app")

    extra = [
        dashboard.Panel(5, "portal-test/boom.html", boom, "Broken"),
        dashboard.Panel(6, "portal-test/hidden.html", lambda b: None),
    ]
    for p in extra:
        dashboard.register(p)
    try:
        rendered = dashboard.panels_for(business)
        templates = [p.template for p in rendered]
        assert templates[0] == "portal-test/boom.html" and rendered[0].failed
        assert "portal-test/hidden.html" not in templates  # None hides a panel
        orders = [p.order for p in rendered]
        assert orders == sorted(orders)
    finally:
        for p in extra:
            dashboard._panels.remove(p)


def test_register_is_idempotent():
    before = len(dashboard.registered())
    messaging_panels.register()
    assert len(dashboard.registered()) == before


def test_empty_dashboard_tells_the_next_step(owner_client):
    html = owner_client.get(reverse("portal:dashboard")).content.decode()
    assert "Nothing needs your attention" in html
    assert "No texts yet" in html
    assert "You have no number yet" in html
    assert reverse("campaigns:numbers") in html
    assert 'data-term="vetting"' in html  # inline help on the status


def test_attention_lists_rejected_campaign_held_and_quiet_hours(business, owner_client):
    CampaignFactory(business=business, status=Campaign.Status.REJECTED)
    number = sending_number(business=business)
    MessageFactory(business=business, from_number=number, status=Message.Status.HELD)
    MessageFactory(
        business=business,
        from_number=number,
        status=Message.Status.SCHEDULED,
        reasons=[{"gate": "quiet_hours", "code": "quiet_hours_deferred", "message": "x"}],
    )
    MessageFactory(business=business, from_number=number, status=Message.Status.SCHEDULED)
    items = dashboard.attention_items(business)
    titles = [i["title"] for i in items]
    assert any(t.startswith("Campaign rejected") for t in titles)
    assert "1 message held for review" in titles
    assert "1 message waiting for quiet hours to end" in titles
    html = owner_client.get(reverse("portal:dashboard")).content.decode()
    assert "1 message held for review" in html


def test_attention_is_scoped_to_the_business(business, other_business):
    CampaignFactory(business=other_business, status=Campaign.Status.REJECTED)
    number = sending_number(business=other_business)
    MessageFactory(business=other_business, from_number=number, status=Message.Status.HELD)
    assert dashboard.attention_items(business) == []


def test_activity_counts_per_local_day_and_opt_out_rate(business, other_business):
    now = timezone.now()
    number = sending_number(business=business)
    for _ in range(4):
        MessageFactory(
            business=business,
            from_number=number,
            status=Message.Status.DELIVERED,
            sent_at=now,
            delivered_at=now,
        )
    MessageFactory(
        business=business,
        from_number=number,
        status=Message.Status.FAILED,
        sent_at=now,
        status_changed_at=now,
    )
    # outside the window, and another business: not counted
    old = now - timedelta(days=30)
    MessageFactory(
        business=business, from_number=number, status="DELIVERED", sent_at=old, delivered_at=old
    )
    other_number = sending_number(business=other_business)
    MessageFactory(
        business=other_business,
        from_number=other_number,
        status="DELIVERED",
        sent_at=now,
        delivered_at=now,
    )
    contact = ContactFactory(business=business)
    consent_services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    data = messaging_panels.activity_series(business, now=now)
    assert len(data["labels"]) == messaging_panels.DAYS
    assert data["sends"][-1] == 5
    assert data["deliveries"][-1] == 4
    assert data["failures"][-1] == 1
    assert data["optouts"][-1] == 1
    assert data["optout_rate"][-1] == 25.0
    assert data["totals"] == {
        "sends": 5,
        "deliveries": 4,
        "failures": 1,
        "optouts": 1,
        "optout_rate": 25.0,
    }
    ctx = messaging_panels.activity_context(business)
    assert ctx["has_data"]
    assert "<svg" in ctx["volume_chart"] and "Delivered" in ctx["volume_chart"]


def test_number_queue_and_rate_against_the_cap(business, owner_client, settings):
    settings.MESSAGING_RATE_LIMIT = 50
    now = timezone.now()
    number = sending_number(business=business, e164="+13125550111")
    for _ in range(3):
        MessageFactory(business=business, from_number=number, status=Message.Status.QUEUED)
    for _ in range(7):
        MessageFactory(
            business=business, from_number=number, status=Message.Status.SENT, sent_at=now
        )
    MessageFactory(
        business=business,
        from_number=number,
        status=Message.Status.SENT,
        sent_at=now - timedelta(minutes=5),
    )
    rows = messaging_panels.number_rows(business, now=now)
    assert len(rows) == 1
    row = rows[0]
    assert (row["queued"], row["recent"], row["limit"]) == (3, 7, 50)
    assert row["campaign_ok"]
    html = owner_client.get(reverse("portal:dashboard")).content.decode()
    assert 'data-rate="+13125550111">7 / 50' in html
    assert 'data-queue="+13125550111">3' in html


def test_number_queries_do_not_grow_with_numbers(business, django_assert_max_num_queries):
    for _ in range(5):
        n = sending_number(business=business)
        MessageFactory(business=business, from_number=n, status=Message.Status.QUEUED)
    with django_assert_max_num_queries(2):
        rows = messaging_panels.number_rows(business)
    assert len(rows) == 5


def test_viewer_sees_the_dashboard(members, client, login):
    login(client, members[Role.VIEWER])
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 200
    assert b"What needs attention" in response.content


def test_attention_lists_active_strikes_and_a_sending_hold(business, other_business):
    from policies.models import PolicyHold, Strike

    Strike.objects.create(
        business=business, signal="opt_out_rate", explanation="12 % of texts led to STOP."
    )
    Strike.objects.create(
        business=business, signal="blocked_rate", explanation="cleared", active=False
    )
    Strike.objects.create(business=other_business, signal="blocked_rate", explanation="other")
    PolicyHold.objects.create(business=business, reason="Three strikes in a week.")
    items = dashboard.attention_items(business)
    titles = [i["title"] for i in items]
    assert "1 policy strike on your account" in titles
    assert "Sending is held for review by our compliance team" in titles
    strike = next(i for i in items if i["title"].endswith("on your account"))
    assert "12 % of texts led to STOP." in strike["help"]
    assert dashboard.attention_items(other_business)[0]["title"] == (
        "1 policy strike on your account"
    )
