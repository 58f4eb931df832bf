"""Sweep rules for appointment reminders (portal and API)."""

from datetime import timedelta

from django.utils import timezone

from accounts.roles import Cap
from tests.sweep import Rule


def _appointment(business):
    from messaging.reminders.models import Appointment
    from tests.factories.consent import ContactFactory

    appointment = Appointment.objects.create(
        business=business,
        contact=ContactFactory(business=business),
        starts_at=timezone.now() + timedelta(days=3),
    )
    return {"appointment_uuid": appointment.uuid}


def _rule(business):
    from messaging.reminders.models import ReminderRule
    from messaging.templating.models import MessageTemplate

    template = MessageTemplate.objects.create(business=business, name="t", body="Hi")
    rule = ReminderRule.objects.create(
        business=business, name="r", minutes_before=60, template=template
    )
    return {"rule_uuid": rule.uuid}


def _feed(business):
    from messaging.reminders.models import CalendarFeed

    feed = CalendarFeed.objects.create(
        business=business, name="f", url="http://127.0.0.1:9/none.ics"
    )
    return {"feed_uuid": feed.uuid}


RULES = {
    "reminders:index": Rule("portal", cap=Cap.VIEW),
    "reminders:rule-create": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", allowed_extra=(400,)
    ),
    "reminders:rule-delete": Rule("portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_rule),
    "reminders:appointment-create": Rule(
        "portal", cap=Cap.SEND, method="post", allowed_extra=(400,)
    ),
    "reminders:appointment-import": Rule(
        "portal", cap=Cap.SEND, method="post", allowed_extra=(400,)
    ),
    "reminders:appointment-action": Rule(
        "portal",
        cap=Cap.SEND,
        method="post",
        kwargs=_appointment,
        data=lambda b, kw: {"action": "cancel"},
    ),
    "reminders:feed-create": Rule(
        "portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", allowed_extra=(400,)
    ),
    "reminders:feed-poll": Rule("portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_feed),
    "reminders:feed-delete": Rule("portal", cap=Cap.MANAGE_CAMPAIGNS, method="post", kwargs=_feed),
    "api-appointments": Rule("api", cap=Cap.VIEW),
    "api-appointments-import": Rule(
        "api",
        cap=Cap.SEND,
        method="post",
        allowed_extra=(400,),  # no file: says so
    ),
    "api-appointment": Rule("api", cap=Cap.VIEW, kwargs=_appointment),
    "api-reminder-rules": Rule("api", cap=Cap.VIEW),
    "api-reminder-rule": Rule("api", cap=Cap.MANAGE_CAMPAIGNS, method="delete", kwargs=_rule),
    "api-calendar-feeds": Rule("api", cap=Cap.VIEW),
    "api-calendar-feed": Rule("api", cap=Cap.MANAGE_CAMPAIGNS, method="delete", kwargs=_feed),
}
