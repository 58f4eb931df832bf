"""Every event type: caused through the real service (or interface), a signed delivery
arrives at a real HTTP receiver on loopback, and its data matches the documented schema.
``COVERED`` is checked against the catalog, so a new event type without a test fails."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.events import catalog
from accounts.models import Business
from accounts.services import business_set_vetting
from campaigns import services as campaign_services
from campaigns.models import Campaign
from config.celery_app import app as celery_app
from consent import services as consent_services
from consent.models import Method
from messaging import dispatch, services
from messaging.models import Broadcast, Message
from policies import services as policy_services
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db
S = Message.Status
COVERED: set[str] = set()


def covers(*types):
    COVERED.update(types)
    return lambda f: f


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _send(business, number, **kwargs):
    return services.message_enqueue(
        business=business,
        body="Your visit is at 3pm. Reply STOP to opt out.",
        kind="transactional",
        contact=kwargs.pop("contact", None) or consenting_contact(business=business, number=number),
        **kwargs,
    )


# --- messages ----------------------------------------------------------------------------------


@covers("message.queued", "message.status")
def test_message_queued(business, number, hooks):
    message = _send(business, number)
    assert message.status == S.QUEUED
    data = hooks.one("message.queued")
    assert data["message"] == str(message.uuid) and data["status"] == "QUEUED"
    [status] = hooks.events("message.status")
    assert status["data"] == data


@covers("message.blocked")
def test_message_blocked_names_the_gate_and_reason(business, number, hooks):
    stranger = ContactFactory(business=business)  # no consent on record
    message = _send(business, number, contact=stranger)
    assert message.status == S.BLOCKED
    data = hooks.one("message.blocked")
    assert data["message"] == str(message.uuid)
    assert data["gate"] == "consent" and data["code"] and data["reason"]
    assert hooks.events("message.queued") == []


@covers("message.canceled")
def test_message_canceled(business, number, hooks):
    message = _send(business, number, send_at=timezone.now() + timedelta(days=1))
    assert message.status == S.SCHEDULED
    services.message_cancel(business=business, message=message)
    assert hooks.one("message.canceled")["status"] == "CANCELED"
    assert hooks.one("message.queued")["status"] == "SCHEDULED"


@covers("message.sent")
def test_message_sent_by_the_drain(business, number, hooks, provider):
    message = _send(business, number)
    dispatch.drain_number(number.pk)
    data = hooks.one("message.sent")
    assert data["message"] == str(message.uuid) and data["status"] == "SENT"
    assert [e["message_id"] for e in provider.audit()] == [str(message.uuid)]


@covers("message.failed")
def test_message_failed_when_the_carrier_refuses(business, number, hooks, provider):
    provider.control(next=["reject"])
    message = _send(business, number)
    dispatch.drain_number(number.pk)
    data = hooks.one("message.failed")
    assert data["message"] == str(message.uuid)
    assert data["status"] == "FAILED" and data["error_code"] == "21610"


@covers("message.delivered")
def test_message_delivered_by_the_receipt(business, number, hooks, provider):
    message = _send(business, number)
    dispatch.drain_number(number.pk)
    message.refresh_from_db()
    services.status_callback_store(
        provider="simulated", provider_id=message.provider_id, status="delivered"
    )
    services.status_callbacks_apply()
    data = hooks.one("message.delivered")
    assert data["message"] == str(message.uuid) and data["status"] == "DELIVERED"


@covers("message.expired")
def test_message_expired_at_the_recheck(business, number, hooks, provider):
    message = _send(business, number)
    Message.objects.filter(pk=message.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    dispatch.drain_number(number.pk)
    data = hooks.one("message.expired")
    assert data["message"] == str(message.uuid) and data["status"] == "EXPIRED"
    assert provider.audit() == []  # never reached the carrier


@covers("message.inbound")
def test_message_inbound(business, number, hooks):
    contact = consenting_contact(business=business, number=number)
    services.inbound_receive(
        to_number=number.e164, from_phone=str(contact.phone_e164), body="Running late!",
        provider="simulated", provider_id="SMin-1",
    )  # fmt: skip
    data = hooks.one("message.inbound")
    assert data["body"] == "Running late!" and data["contact"] == str(contact.uuid)
    assert data["to"] == number.e164


@covers("appointment.reply")
def test_appointment_reply(business, number, hooks, monkeypatch):
    from zoneinfo import ZoneInfo

    from messaging.reminders import services as reminders
    from messaging.templating import services as templating

    # time control: a weekday afternoon where the client lives (no quiet hours in the way)
    now = timezone.datetime(2026, 12, 8, 15, 0, tzinfo=ZoneInfo("America/New_York"))
    monkeypatch.setattr(timezone, "now", lambda: now)
    template = templating.template_create(
        business=business,
        name="Visit",
        body="See you {{ var.appointment_time }}. Reply STOP to opt out.",
    )
    reminders.reminder_rule_create(
        business=business, name="1 h", minutes_before=60, template=template
    )
    contact = consenting_contact(business=business, number=number)
    appointment, _ = reminders.appointment_create(
        business=business, contact=contact, starts_at=now + timedelta(minutes=90)
    )
    assert reminders.reminders_send_due(now=now + timedelta(minutes=30)) == 1
    services.inbound_receive(
        to_number=number.e164, from_phone=str(contact.phone_e164), body="C",
        provider="simulated", provider_id="SMin-appt",
    )  # fmt: skip
    data = hooks.one("appointment.reply")
    assert data["appointment"] == str(appointment.uuid) and data["action"] == "confirm"
    assert data["status"] == "CONFIRMED" and data["contact"] == str(contact.uuid)


# --- consent and imports -----------------------------------------------------------------------


@covers("contact.opted_in", "consent.changed")
def test_contact_opted_in(business, number, hooks):
    contact = consenting_contact(business=business, number=number)
    data = hooks.one("contact.opted_in")
    assert data["contact"] == str(contact.uuid) and data["status"] == "OPTED_IN"
    assert data["campaign"] == str(number.campaign.uuid) and data["previous_status"] is None
    [changed] = hooks.events("consent.changed")
    assert changed["data"] == data


@covers("contact.opted_out")
def test_contact_opted_out_by_stop(business, number, hooks):
    contact = consenting_contact(business=business, number=number)
    services.inbound_receive(
        to_number=number.e164, from_phone=str(contact.phone_e164), body="STOP",
        provider="simulated", provider_id="SMin-2",
    )  # fmt: skip
    data = hooks.one("contact.opted_out")
    assert data["contact"] == str(contact.uuid)
    assert data["status"] == "OPTED_OUT" and data["previous_status"] == "OPTED_IN"
    assert data["method"] == Method.KEYWORD
    statuses = [e["data"]["status"] for e in hooks.events("consent.changed")]
    assert statuses == ["OPTED_IN", "OPTED_OUT"]


@covers("import.finished")
def test_import_finished(business, owner, hooks):
    imp = consent_services.contact_import_create(
        business=business,
        filename="clients.csv",
        content=b"Phone,Name\n+12025550181,Ada\n+12025550182,Bo\nnot a phone,Cy\n",
        actor=owner.user,
    )
    consent_services.contact_import_start(
        business=business, imp=imp, mapping={"phone": "Phone", "name": "Name"},
        scope_kind="marketing", attest=True, actor=owner.user,
    )  # fmt: skip
    data = hooks.one("import.finished")
    assert data["import"] == str(imp.uuid) and data["status"] == "DONE"
    assert data["created"] == 2 and data["rejected"] == 1 and data["filename"] == "clients.csv"


# --- campaigns and numbers ---------------------------------------------------------------------


@covers("campaign.status_changed")
def test_campaign_status_changed(business, number, hooks):
    campaign = number.campaign
    campaign_services.campaign_set_status(
        campaign=campaign, to_status=Campaign.Status.SUSPENDED, reason="Carrier audit",
        actor=None,
    )  # fmt: skip
    data = hooks.one("campaign.status_changed")
    assert data["campaign"] == str(campaign.uuid)
    assert (data["previous_status"], data["status"]) == ("APPROVED", "SUSPENDED")
    assert data["reason"] == "Carrier audit" and data["source"] == "staff"


@covers("number.bought", "number.released")
def test_number_bought_and_released(business, owner, hooks, carrier, settings):
    settings.CARRIER_URL = carrier.url
    [e164] = campaign_services.phone_number_search(business=business, area_code="303", limit=1)
    bought = campaign_services.phone_number_provision(
        business=business, e164=e164, actor=owner.user
    )
    assert hooks.one("number.bought") == {
        "number": str(bought.uuid),
        "e164": e164,
        "status": "ACTIVE",
        "at": hooks.one("number.bought")["at"],
    }
    campaign_services.phone_number_release(number=bought, actor=owner.user)
    data = hooks.one("number.released")
    assert data["number"] == str(bought.uuid) and data["status"] == "RELEASED"


# --- broadcasts --------------------------------------------------------------------------------


@covers("broadcast.started", "broadcast.progress", "broadcast.finished")
def test_broadcast_started_progress_and_canceled(business, number, owner, hooks):
    for _ in range(3):
        consenting_contact(business=business, number=number, tags=["vip"])
    broadcast = services.broadcast_create(
        business=business, name="Winter", body="Winter hours start Monday. Reply STOP to opt out.",
        kind="informational", from_number=number, tags=["vip"],
        send_at=timezone.now() + timedelta(days=1), actor=owner.user,
    )  # fmt: skip
    services.broadcast_launch(broadcast=broadcast, actor=owner.user)
    started = hooks.one("broadcast.started")
    assert started["broadcast"] == str(broadcast.uuid) and started["status"] == "RUNNING"
    progress = hooks.one("broadcast.progress")
    assert progress["created"] == 3 and progress["recipients"] == 3
    services.broadcast_cancel(broadcast=broadcast, actor=owner.user)
    finished = hooks.one("broadcast.finished")
    assert finished["status"] == "CANCELED" and finished["pending"] == 0
    assert len(hooks.events("message.canceled")) == 3


def test_broadcast_finished_when_every_message_settled(business, number, owner, hooks):
    """Completion is noticed by the recovery beat task, not only when someone looks."""
    ContactFactory(business=business, tags=["cold"])  # no consent: blocked at once
    broadcast = services.broadcast_create(
        business=business, name="Cold", body="Hello! Reply STOP to opt out.",
        kind="informational", from_number=number, tags=["cold"], actor=owner.user,
    )  # fmt: skip
    services.broadcast_launch(broadcast=broadcast, actor=owner.user)
    assert hooks.events("broadcast.finished") == []
    assert services.broadcasts_complete() == 1
    assert services.broadcasts_complete() == 0  # once
    data = hooks.one("broadcast.finished")
    assert data["status"] == "COMPLETED" and data["skipped"] == 1
    assert Broadcast.objects.get(pk=broadcast.pk).status == Broadcast.Status.COMPLETED


# --- the business ------------------------------------------------------------------------------


@covers("business.held")
def test_business_held_by_strikes(business, hooks, settings):
    settings.POLICY_STRIKES_HOLD = 2
    policy_services.message_outcome_report(business=business, event="sent", detail={"count": 100})
    policy_services.message_outcome_report(business=business, event="opt_out", detail={"count": 9})
    policy_services.message_outcome_report(business=business, event="blocked", detail={"count": 30})
    data = hooks.one("business.held")
    assert data["business"] == str(business.uuid) and "strikes" in data["reason"]


@covers("business.suspended")
def test_business_suspended_after_commit_by_the_celery_task(
    business, hooks, django_capture_on_commit_callbacks
):
    """The whole path: the outbox row is written in the change's transaction, the task is
    queued on commit, and (eager Celery) delivers it."""
    celery_app.conf.task_always_eager = True
    with django_capture_on_commit_callbacks(execute=True):
        business_set_vetting(
            business=business, to_status=Business.Vetting.SUSPENDED, reason="Unpaid penalty",
            actor=None,
        )  # fmt: skip
    [envelope] = hooks.events("business.suspended")  # already there: no flush needed
    assert envelope["data"]["reason"] == "Unpaid penalty"
    assert envelope["data"]["from_status"] == "APPROVED"


def test_every_event_type_has_a_test():
    assert {t.name for t in catalog.subscribable()} == COVERED
