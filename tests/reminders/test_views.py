"""The reminders page: rules, appointments (one, a CSV), feeds, actions; errors next to the
field; the dashboard panel with the rates."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from messaging.reminders.models import Appointment, CalendarFeed, ReminderRule

pytestmark = pytest.mark.django_db


def test_the_reminders_page(owner_client, business, template, clock):
    page = owner_client.get("/app/reminders/").content.decode()
    assert "No rules yet" in page and "No upcoming appointments" in page
    bad = owner_client.post(
        "/app/reminders/rules/",
        {
            "name": "x",
            "hours_before": "2",
            "template": str(template.uuid),
            "confirm_word": "HELP",
            "reschedule_word": "R",
        },
    )
    assert bad.status_code == 400 and "is a keyword" in bad.content.decode()
    ok = owner_client.post(
        "/app/reminders/rules/",
        {
            "name": "Two hours",
            "hours_before": "2",
            "template": str(template.uuid),
            "confirm_word": "C",
            "reschedule_word": "R",
        },
    )
    assert ok.status_code == 302
    assert ReminderRule.objects.get(business=business).minutes_before == 120
    again = owner_client.post(
        "/app/reminders/rules/",
        {
            "name": "Also two hours",
            "hours_before": "2",
            "template": str(template.uuid),
            "confirm_word": "C",
            "reschedule_word": "R",
        },
    )
    # the service's minutes_before error is shown by the form's hours field
    assert again.status_code == 400
    assert "A rule at that time exists." in str(again.context["rule_form"].errors["hours_before"])

    bad = owner_client.post(
        "/app/reminders/appointments/", {"a-phone": "12", "a-starts_at": "2026-12-08T15:00"}
    )
    assert bad.status_code == 400 and "phone" in bad.content.decode().lower()
    ok = owner_client.post(
        "/app/reminders/appointments/",
        {
            "a-phone": "3125550160",
            "a-name": "Flo",
            "a-starts_at": "2026-12-08T15:00",
            "a-title": "Perm",
        },
    )
    assert ok.status_code == 302
    appointment = Appointment.objects.get(business=business)
    page = owner_client.get("/app/reminders/").content.decode()
    assert "Perm" in page and "pending" in page

    upload = SimpleUploadedFile(
        "a.csv", b"phone,starts_at\n3125550161,2026-12-09 09:00\n3125550162,never\n"
    )
    report = owner_client.post("/app/reminders/appointments/import/", {"file": upload})
    text = report.content.decode()
    assert report.status_code == 200 and "1 added" in text and "line 3" in text
    bad_csv = owner_client.post(
        "/app/reminders/appointments/import/", {"file": SimpleUploadedFile("a.csv", b"x,y\n1,2\n")}
    )
    assert bad_csv.status_code == 400 and "phone and starts_at" in bad_csv.content.decode()

    action = f"/app/reminders/appointments/{appointment.uuid}/"
    assert owner_client.post(action, {"action": "nonsense"}).status_code == 302
    assert owner_client.post(action, {"action": "cancel"}).status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "CANCELED"
    owner_client.post(action, {"action": "NO_SHOW"})  # refused: a message, not a 500
    appointment.refresh_from_db()
    assert appointment.status == "CANCELED"

    bad = owner_client.post("/app/reminders/feeds/", {"feed_name": "x", "url": "ftp://x"})
    assert bad.status_code == 400 and "http" in bad.content.decode()
    owner_client.post(
        "/app/reminders/feeds/", {"feed_name": "Salon", "url": "http://127.0.0.1:9/none.ics"}
    )
    feed = CalendarFeed.objects.get(business=business)
    assert feed.last_result  # the first read happened (and failed: nothing listens there)
    assert owner_client.post(f"/app/reminders/feeds/{feed.uuid}/poll/").status_code == 302
    assert owner_client.post(f"/app/reminders/feeds/{feed.uuid}/delete/").status_code == 302
    rule = ReminderRule.objects.get(business=business)
    assert owner_client.post(f"/app/reminders/rules/{rule.uuid}/delete/").status_code == 302

    ReminderRule.objects.create(
        business=business, name="again", minutes_before=60, template=template
    )
    dashboard = owner_client.get("/app/").content.decode()
    assert "Appointment reminders" in dashboard and 'data-rate="confirmation"' in dashboard
