"""Reminders: rules, appointments (API-side services, CSV), their planned times in the
client's zone out of quiet hours, sending through every gate under time control, the C / R
reply (keywords still win), moves and cancellations, rates, data rights."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts.errors import Conflict, ValidationFailed
from accounts.events.models import WebhookDelivery
from accounts.events.services import webhook_endpoint_create
from consent import services as consent_services
from messaging import services as messaging
from messaging.models import Message
from messaging.reminders import selectors, services
from messaging.reminders.models import Appointment, Reminder
from messaging.templating import services as templating
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact

from .conftest import chi

pytestmark = pytest.mark.django_db
A, R, S = Appointment.Status, Reminder.Status, Message.Status


@pytest.fixture
def rules(business, template):
    return [
        services.reminder_rule_create(
            business=business, name="Two days", minutes_before=2880, template=template
        ),
        services.reminder_rule_create(
            business=business, name="Two hours", minutes_before=120, template=template
        ),
    ]


@pytest.fixture
def client(business, number):
    return consenting_contact(
        business=business, number=number, phone="+13125550101", name="Ana Ruiz",
        time_zone="America/Chicago",
    )  # fmt: skip


def test_rule_validation(business, template, other_business):
    with pytest.raises(ValidationFailed) as bad:
        services.reminder_rule_create(business=business, name="", minutes_before=0, template=None)
    assert set(bad.value.fields) == {"name", "minutes_before", "template"}
    for word in ("STOP", "help", "Yes", "start", "cancel"):
        with pytest.raises(ValidationFailed) as clash:
            services.reminder_rule_create(
                business=business, name="x", minutes_before=60, template=template, confirm_word=word
            )
        assert "is a keyword" in clash.value.fields["confirm_word"][0]
    with pytest.raises(ValidationFailed):
        services.reminder_rule_create(
            business=business, name="x", minutes_before=60, template=template,
            confirm_word="c", reschedule_word="C",
        )  # fmt: skip
    promo = templating.template_create(
        business=business, name="Promo", kind="marketing", body="20% off! Reply STOP to opt out."
    )
    with pytest.raises(ValidationFailed) as kind:
        services.reminder_rule_create(
            business=business, name="x", minutes_before=60, template=promo
        )
    assert "informational" in kind.value.fields["template"][0]
    theirs = templating.template_create(
        business=other_business, name="T", body="Hi. Reply STOP to opt out."
    )
    with pytest.raises(ValidationFailed):
        services.reminder_rule_create(
            business=business, name="x", minutes_before=60, template=theirs
        )
    services.reminder_rule_create(business=business, name="x", minutes_before=60, template=template)
    with pytest.raises(Conflict):
        services.reminder_rule_create(
            business=business, name="y", minutes_before=60, template=template
        )


def test_reminders_go_at_the_right_local_times_and_a_c_reply_confirms(
    business, number, client, rules, clock, owner
):
    webhook_endpoint_create(
        business=business, url="https://hooks.example.com/appts", events=["appointment.reply"],
        actor=owner.user,
    )  # fmt: skip
    appointment, created = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0), title="Cleaning"
    )
    assert created
    planned = {
        r.rule.minutes_before: r for r in selectors.appointment_reminders(appointment=appointment)
    }
    assert planned[2880].send_at == chi(2026, 12, 6, 15, 0)
    assert planned[120].send_at == chi(2026, 12, 8, 13, 0)

    clock.set(chi(2026, 12, 6, 14, 59))
    assert services.reminders_send_due() == 0
    clock.set(chi(2026, 12, 6, 15, 0))
    assert services.reminders_send_due() == 1
    assert services.reminders_send_due() == 0  # once
    first = Reminder.objects.get(pk=planned[2880].pk)
    assert first.status == R.SENT and first.message.status == S.QUEUED
    assert first.message.body == (
        f"{business.display_name}: hi Ana, see you Tue Dec 8 at 3:00 PM. Reply STOP to opt out. "
        "Reply C to confirm or R to reschedule."
    )
    assert first.message.kind == "informational" and first.message.automated

    clock.set(chi(2026, 12, 6, 16, 0))
    inbound = messaging.inbound_receive(
        to_number=number.e164, from_phone=client.phone_e164, body="c", provider="simulated",
        provider_id="MO-c",
    )  # fmt: skip
    appointment.refresh_from_db()
    assert appointment.status == A.CONFIRMED and appointment.confirmed_at == chi(2026, 12, 6, 16, 0)
    assert inbound.reasons[-1]["code"] == "appointment_confirmed"
    assert "Tue Dec 8 at 3:00 PM" in inbound.reasons[-1]["message"]
    delivery = WebhookDelivery.objects.get(business=business, event="appointment.reply")
    assert delivery.payload["action"] == "confirm" and delivery.payload["appointment"] == str(
        appointment.uuid
    )

    clock.set(chi(2026, 12, 8, 13, 0))
    assert services.reminders_send_due() == 1
    assert Reminder.objects.get(pk=planned[120].pk).status == R.SENT


def test_a_reminder_due_in_quiet_hours_goes_the_evening_before(business, client, rules, clock):
    appointment, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 9, 8, 30)
    )
    times = sorted(r.send_at for r in selectors.appointment_reminders(appointment=appointment))
    assert times == [chi(2026, 12, 7, 8, 30), chi(2026, 12, 8, 20, 59)]
    clock.set(chi(2026, 12, 8, 20, 59))
    services.reminders_send_due()
    late = Reminder.objects.get(appointment=appointment, rule__minutes_before=120)
    assert late.status == R.SENT and "Wed Dec 9 at 8:30 AM" in late.message.body
    assert late.message.status == S.QUEUED  # not deferred: sent inside the window


def test_r_asks_to_reschedule_and_keywords_still_win(business, number, client, rules, clock):
    appointment, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0)
    )
    # a C before any reminder went out is an ordinary text
    plain = messaging.inbound_receive(
        to_number=number.e164,
        from_phone=client.phone_e164,
        body="C",
        provider="simulated",
        provider_id="MO-0",
    )
    assert not any(r.get("gate") == "reminder" for r in plain.reasons)
    clock.set(chi(2026, 12, 6, 15, 0))
    services.reminders_send_due()
    other = messaging.inbound_receive(
        to_number=number.e164, from_phone=client.phone_e164, body="See you then!",
        provider="simulated",
        provider_id="MO-1",
    )  # fmt: skip
    assert not any(r.get("gate") == "reminder" for r in other.reasons)
    messaging.inbound_receive(
        to_number=number.e164,
        from_phone=client.phone_e164,
        body="R",
        provider="simulated",
        provider_id="MO-2",
    )
    appointment.refresh_from_db()
    assert appointment.status == A.RESCHEDULE_REQUESTED and appointment.confirmed_at is None
    stop = messaging.inbound_receive(
        to_number=number.e164,
        from_phone=client.phone_e164,
        body="STOP",
        provider="simulated",
        provider_id="MO-3",
    )
    assert stop.reasons[0]["code"] == "opt_out"
    assert not any(r.get("gate") == "reminder" for r in stop.reasons)
    # after STOP the next reminder is judged by the consent gate: blocked, never sent
    clock.set(chi(2026, 12, 8, 13, 0))
    services.reminders_send_due()
    last = Reminder.objects.get(appointment=appointment, rule__minutes_before=120)
    assert last.status == R.SENT and last.message.status == S.BLOCKED
    assert any(r["gate"] == "consent" for r in last.message.reasons)


def test_a_contact_without_informational_consent_is_blocked(business, number, rules, clock):
    stranger = ContactFactory(business=business, phone="+13125550177", time_zone="America/Chicago")
    appointment, _ = services.appointment_create(
        business=business, contact=stranger, starts_at=chi(2026, 12, 8, 15, 0)
    )
    clock.set(chi(2026, 12, 6, 15, 0))
    services.reminders_send_due()
    reminder = Reminder.objects.get(appointment=appointment, rule__minutes_before=2880)
    assert reminder.message.status == S.BLOCKED


def test_moving_and_canceling_moves_and_cancels_pending_reminders(business, client, rules, clock):
    appointment, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0), external_id="bk-1"
    )
    clock.set(chi(2026, 12, 6, 15, 0))
    services.reminders_send_due()  # the 48 h one is queued
    sent = Reminder.objects.get(appointment=appointment, rule__minutes_before=2880)
    moved, created = services.appointment_create(
        business=business,
        phone=client.phone_e164,
        starts_at=chi(2026, 12, 10, 11, 0),
        external_id="bk-1",
    )
    assert not created and moved.pk == appointment.pk
    sent.refresh_from_db()
    assert sent.status == R.SENT and sent.message.status == S.CANCELED  # the old time's text
    pending = Reminder.objects.get(appointment=appointment, rule__minutes_before=120)
    assert pending.status == R.PENDING and pending.send_at == chi(2026, 12, 10, 9, 0)
    services.appointment_cancel(appointment=moved)
    pending.refresh_from_db()
    assert pending.status == R.CANCELED
    clock.set(chi(2026, 12, 10, 9, 0))
    assert services.reminders_send_due() == 0
    with pytest.raises(Conflict):
        services.appointment_update(appointment=moved, title="x")
    assert services.appointment_cancel(appointment=moved).status == A.CANCELED  # idempotent


def test_a_reminder_whose_time_passed_is_skipped_not_sent_late(business, client, rules, clock):
    clock.set(chi(2026, 12, 8, 14, 0))
    appointment, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0)
    )
    assert {r.status for r in selectors.appointment_reminders(appointment=appointment)} == {
        R.SKIPPED
    }
    # a pending one whose appointment closed meanwhile is skipped at send time
    later, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 20, 15, 0)
    )
    Appointment.objects.filter(pk=later.pk).update(status=A.COMPLETED)
    clock.set(chi(2026, 12, 18, 15, 0))
    services.reminders_send_due()
    assert Reminder.objects.get(appointment=later, rule__minutes_before=2880).status == R.SKIPPED


def test_new_rules_plan_for_open_appointments_and_rules_can_go(business, client, template, clock):
    appointment, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0)
    )
    assert not Reminder.objects.exists()
    rule = services.reminder_rule_create(
        business=business, name="Day", minutes_before=1440, template=template
    )
    assert Reminder.objects.get(appointment=appointment).send_at == chi(2026, 12, 7, 15, 0)
    services.reminder_rule_delete(rule=rule)
    assert not Reminder.objects.exists()


def test_marks_and_rates(business, number, client, rules, clock):
    a1, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 3, 15, 0)
    )
    a2, _ = services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 4, 15, 0)
    )
    clock.set(chi(2026, 12, 3, 13, 0))
    services.reminders_send_due()
    messaging.inbound_receive(
        to_number=number.e164,
        from_phone=client.phone_e164,
        body="C",
        provider="simulated",
        provider_id="MO-r",
    )
    clock.set(chi(2026, 12, 4, 13, 0))
    services.reminders_send_due()
    clock.set(chi(2026, 12, 5, 12, 0))
    services.appointment_mark(appointment=a1, status=A.COMPLETED)
    services.appointment_mark(appointment=a2, status=A.NO_SHOW)
    rates = selectors.appointment_rates(business=business)
    assert (rates["reminded"], rates["confirmed"], rates["no_show"]) == (2, 1, 1)
    assert rates["confirmation_rate"] == 0.5 and rates["no_show_rate"] == 0.5
    with pytest.raises(ValidationFailed):
        services.appointment_mark(appointment=a1, status="BOOKED")
    services.appointment_cancel(appointment=a2)
    with pytest.raises(Conflict):
        services.appointment_mark(appointment=a2, status=A.COMPLETED)


def test_appointment_input_errors(business, client, other_business):
    with pytest.raises(ValidationFailed):
        services.appointment_create(business=business, contact=client, starts_at=None)
    with pytest.raises(ValidationFailed) as no_phone:
        services.appointment_create(business=business, starts_at=chi(2026, 12, 8, 15, 0))
    assert "phone" in no_phone.value.fields
    with pytest.raises(ValidationFailed) as bad_phone:
        services.appointment_create(
            business=business, phone="12", starts_at=chi(2026, 12, 8, 15, 0)
        )
    assert "phone" in bad_phone.value.fields
    theirs = ContactFactory(business=other_business)
    with pytest.raises(ValidationFailed):
        services.appointment_create(
            business=business, contact=theirs, starts_at=chi(2026, 12, 8, 15, 0)
        )


def test_csv_import(business, rules, clock):
    content = (
        b"Phone,Starts_at,Name,Title,External_ID\n"
        b"(312) 555-0120,2026-12-08 15:00,Bea,Cut,bk-9\n"
        b"3125550121,12/09/2026 10:30,Cy,,\n"
        b"3125550122,next tuesday,Di,,\n"
        b"12,2026-12-08 15:00,Ed,,\n"
        b"3125550120,2026-12-08T16:00:00-06:00,Bea,Cut and color,bk-9\n"
    )
    report = services.appointments_import_csv(business=business, content=content)
    assert (report["created"], report["updated"]) == (2, 1)
    assert [r["line"] for r in report["rejected"]] == [4, 5]
    assert "not a date" in report["rejected"][0]["reason"]
    bea = Appointment.objects.get(business=business, external_id="bk-9")
    assert (
        bea.starts_at == chi(2026, 12, 8, 16, 0)
        and bea.title == "Cut and color"
        and bea.source == "csv"
    )
    cy = Appointment.objects.get(business=business, contact__phone="+13125550121")
    # no offset: the business's zone
    assert cy.starts_at == datetime(2026, 12, 9, 10, 30, tzinfo=ZoneInfo(business.time_zone))
    with pytest.raises(ValidationFailed):
        services.appointments_import_csv(business=business, content=b"name,when\nx,y\n")


def test_csv_import_of_a_mangled_file_is_a_field_error_or_a_report_never_a_crash(business, rules):
    # Found by the API fuzz pass: a bare CR inside an unquoted field was a 500 (csv.Error).
    with pytest.raises(ValidationFailed) as exc:
        services.appointments_import_csv(business=business, content=b"\xef\r'P\x1c?\rI")
    assert "file" in exc.value.fields
    content = b'phone,starts_at\r\n3125550120,2026-12-08 15:00\rx\r\n"3125550121,\x00\r\n'
    report = services.appointments_import_csv(business=business, content=content)
    assert report["created"] + report["updated"] <= 1
    assert all(isinstance(r["line"], int) for r in report["rejected"])


def test_erasure_export_and_retention_of_appointments(business, client, clock, settings):
    from accounts.privacy.retention import retention_run
    from consent.subject import export_bundle

    services.appointment_create(
        business=business, contact=client, starts_at=chi(2026, 12, 8, 15, 0), title="Cut"
    )
    bundle = export_bundle(business=business, contact=client)
    assert bundle["appointments"][0]["title"] == "Cut"
    consent_services.contact_erase(business=business, contact=client)
    assert not Appointment.objects.exists()
    other = ContactFactory(business=business)
    old, _ = services.appointment_create(
        business=business, contact=other, starts_at=chi(2026, 1, 8, 15, 0)
    )
    clock.set(chi(2026, 1, 8, 15, 0) + timedelta(days=settings.RETENTION_MESSAGE_BODY_DAYS + 1))
    retention_run(dry_run=False)
    assert not Appointment.objects.filter(pk=old.pk).exists()
