"""Done when (issue 21), in a real browser: a reminder rule is set up and an appointment
added on the reminders page; the reminders go at the right local times (time control) and
the client's C reply shows the appointment confirmed on the page."""

import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging import services as messaging
from messaging.models import Message
from messaging.reminders import services
from messaging.reminders.models import Appointment, Reminder
from messaging.templating import services as templating
from tests.browser import dismiss_cookie_banner, signed_in_page
from tests.factories.messaging import consenting_contact, sending_number

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHI = ZoneInfo("America/Chicago")
BODY = (
    "{{ business_name }}: see you {{ var.appointment_date }} at {{ var.appointment_time }}. "
    "Reply STOP to opt out."
)


def test_rule_and_appointment_on_the_page_then_a_c_reply_confirms(
    chromium, live_server, owner, business, monkeypatch
):
    number = sending_number(business=business, e164="+13125559001")
    client = consenting_contact(
        business=business, number=number, phone="+13125550190", name="Gus Lee",
        time_zone="America/Chicago",
    )  # fmt: skip
    templating.template_create(business=business, name="Visit", body=BODY)
    zone = ZoneInfo(business.time_zone)  # the page reads and shows times in it
    day = (timezone.now().astimezone(zone) + timedelta(days=5)).date()
    starts = datetime(day.year, day.month, day.day, 15, 0, tzinfo=zone)

    with signed_in_page(chromium, live_server, owner) as page:
        page.goto("/app/reminders/")
        dismiss_cookie_banner(page)
        page.fill("#id_name", "Two hours before")
        page.fill("#id_hours_before", "2")
        page.get_by_role("button", name="Add rule").click()
        expect(page.locator("#rules")).to_contain_text("120 min")
        page.fill("#id_a-phone", client.phone_e164)
        page.fill("#id_a-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
        page.fill("#id_a-title", "Beard trim")
        page.get_by_role("button", name="Add appointment").click()
        appointment = Appointment.objects.get(business=business)
        row = page.locator(f"#appointment-{appointment.uuid}")
        expect(row).to_contain_text("Beard trim")
        expect(row).to_contain_text(f"{starts:%b} {starts.day} 13:00 pending")

        reminder = Reminder.objects.get(appointment=appointment)
        assert reminder.send_at == starts - timedelta(hours=2)
        at = {"now": reminder.send_at - timedelta(minutes=1)}
        monkeypatch.setattr(timezone, "now", lambda: at["now"])
        assert services.reminders_send_due() == 0  # a minute early: nothing
        at["now"] = reminder.send_at
        assert services.reminders_send_due() == 1
        monkeypatch.undo()
        message = Message.objects.get(business=business, contact=client)
        assert message.status == Message.Status.QUEUED
        # the text says the time where the client lives (Chicago, an hour behind New York)
        local = starts.astimezone(CHI)
        said = f"at {local.strftime('%I').lstrip('0')}:00 {local:%p}. Reply STOP to opt out."
        assert f"{said} Reply C to confirm or R to reschedule." in message.body

        messaging.inbound_receive(
            to_number=number.e164, from_phone=client.phone_e164, body="C",
            provider="simulated", provider_id="MO-browser",
        )  # fmt: skip
        page.reload()
        expect(row.locator("[data-status]")).to_have_text("Confirmed")
        page.goto("/app/inbox/")
        expect(page.locator("body")).to_contain_text("Gus Lee")
