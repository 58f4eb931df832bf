"""The beat tasks call the services: due reminders go, stale feeds are read."""

import pytest

from messaging.reminders import services, tasks
from messaging.reminders.models import CalendarFeed, Reminder

from .conftest import chi

pytestmark = pytest.mark.django_db


def test_beat_tasks(business, number, template, clock, settings):
    from tests.factories.messaging import consenting_contact

    services.reminder_rule_create(
        business=business, name="2 h", minutes_before=120, template=template
    )
    contact = consenting_contact(business=business, number=number, phone="+13125550170")
    appointment, _ = services.appointment_create(
        business=business, contact=contact, starts_at=chi(2026, 12, 8, 15, 0)
    )
    clock.set(chi(2026, 12, 8, 13, 0))
    assert tasks.send_due() == 1
    assert Reminder.objects.get(appointment=appointment).status == Reminder.Status.SENT
    settings.REMINDERS_FEED_ALLOW_PRIVATE = False
    services.calendar_feed_create(business=business, name="x", url="http://127.0.0.1:9/c.ics")
    assert tasks.poll_feeds() == 1
    assert "private" in CalendarFeed.objects.get(business=business).last_result
