"""The seams between apps: restrictions reach the drain, tenant webhooks fire, erasure and
retention reach message bodies, exports include messages."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging import dispatch, services
from messaging.models import Message
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(carrier, settings, monkeypatch):
    settings.MESSAGING_RATE_LIMIT = 5
    settings.MESSAGING_RATE_WINDOW = 2.0
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _enqueue(business, number, n):
    return [
        services.message_enqueue(
            business=business,
            body="Your visit is at 3pm. Reply STOP to opt out.",  # automated: needs it
            kind="transactional",
            contact=consenting_contact(business=business, number=number),
        )
        for _ in range(n)
    ]


def test_a_throughput_restriction_lowers_the_cap_at_once(business, number, provider, owner):
    from policies.penalties import restriction_apply

    restriction_apply(
        business=business, kind="THROUGHPUT", limit=2, window=2.0, actor=None,
        reason="Carrier fine for unregistered traffic", remedy="Fix the opt-in flow",
    )  # fmt: skip
    _enqueue(business, number, 5)
    dispatch.drain_number(number.pk)
    sent = [e for e in provider.audit() if not e.get("duplicate")]
    assert len(sent) == 2
    assert Message.objects.filter(status=S.QUEUED).count() == 3


def test_without_a_restriction_the_platform_cap_applies(business, number, provider):
    _enqueue(business, number, 5)
    dispatch.drain_number(number.pk)
    assert len([e for e in provider.audit() if not e.get("duplicate")]) == 5


def test_status_changes_and_inbound_texts_reach_tenant_webhooks(business, number, owner):
    from accounts.events.models import WebhookDelivery
    from messaging.tenant_webhooks import webhook_endpoint_create

    webhook_endpoint_create(
        business=business, url="https://hooks.example.com/sms",
        events=["message.status", "message.inbound"], actor=owner.user,
    )  # fmt: skip
    contact = consenting_contact(business=business, number=number)
    message = services.message_enqueue(
        business=business, body="Your visit is at 3pm.", kind="transactional", contact=contact
    )
    Message.objects.filter(pk=message.pk).update(status=S.SENT, provider_id="SM1")
    services.status_callback_store(provider="simulated", provider_id="SM1", status="delivered")
    services.status_callbacks_apply()
    services.inbound_receive(
        to_number=number.e164, from_phone=str(contact.phone_e164), body="Thanks, see you",
        provider="simulated", provider_id="SMin1",
    )  # fmt: skip
    events = sorted(
        (event, payload.get("status", ""))
        for event, payload in WebhookDelivery.objects.values_list("event", "payload")
    )
    # message.status tells every change: the gates' decision at enqueue, then the receipt
    assert events == [
        ("message.inbound", ""),
        ("message.status", message.status),
        ("message.status", "DELIVERED"),
    ]


def test_erasing_a_contact_blanks_their_message_bodies_and_phone(business, number, owner):
    from consent import services as consent_services

    contact = consenting_contact(business=business, number=number)
    message = services.message_enqueue(
        business=business, body="Your visit is at 3pm.", kind="transactional", contact=contact
    )
    consent_services.contact_erase(business=business, contact=contact, actor=owner.user)
    message.refresh_from_db()
    assert message.body == "" and message.to_phone == ""


def test_retention_anonymises_old_finished_bodies_only(business, number):
    from accounts.privacy.retention import retention_run

    contact = consenting_contact(business=business, number=number)
    old = services.message_enqueue(
        business=business, body="Old news", kind="transactional", contact=contact
    )
    new = services.message_enqueue(
        business=business, body="Fresh news", kind="transactional", contact=contact
    )
    long_ago = timezone.now() - timedelta(days=400)
    Message.objects.filter(pk=old.pk).update(status=S.DELIVERED, created_at=long_ago)
    Message.objects.filter(pk=new.pk).update(status=S.DELIVERED)
    retention_run(dry_run=True)
    old.refresh_from_db()
    assert old.body == "Old news"  # a dry run changes nothing
    retention_run(dry_run=False)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.body == "" and new.body == "Fresh news"


def test_business_export_includes_messages(business, number):
    from accounts.privacy.exports import business_export_build

    contact = consenting_contact(business=business, number=number)
    services.message_enqueue(
        business=business, body="Your visit is at 3pm.", kind="transactional", contact=contact
    )
    data = business_export_build(business=business)
    assert not data["errors"]
    assert [m["body"] for m in data["sections"]["messages"]] == ["Your visit is at 3pm."]
