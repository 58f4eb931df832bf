"""Reminders over the REST API: rules, appointments (create, upsert by external_id, move,
cancel, mark), a CSV, feeds."""

import pytest

from messaging.reminders.models import Appointment, Reminder
from tests.factories.messaging import consenting_contact

pytestmark = pytest.mark.django_db


def test_rules_appointments_and_feeds(
    api_client, business, number, template, other_api_client, clock
):
    r = api_client.post(
        "/api/v1/reminder-rules/",
        {"name": "2 h", "minutes_before": 120, "template": str(template.uuid)},
        format="json",
    )
    assert r.status_code == 201, r.json()
    rule_uuid = r.json()["uuid"]
    clash = api_client.post(
        "/api/v1/reminder-rules/",
        {"name": "x", "minutes_before": 60, "template": str(template.uuid), "confirm_word": "STOP"},
        format="json",
    )
    assert clash.status_code == 400 and "confirm_word" in clash.json()["error"]["fields"]
    assert api_client.get("/api/v1/reminder-rules/").json()["results"][0]["minutes_before"] == 120

    contact = consenting_contact(business=business, number=number, phone="+13125550150")
    r = api_client.post(
        "/api/v1/appointments/",
        {"contact": str(contact.uuid), "starts_at": "2026-12-08T15:00:00-06:00", "title": "Cut",
         "external_id": "ext-1"},
        format="json",
    )  # fmt: skip
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "BOOKED" and body["reminders"][0]["send_at"] == "2026-12-08T19:00:00Z"
    again = api_client.post(
        "/api/v1/appointments/",
        {"to": "+13125550150", "starts_at": "2026-12-08T16:00:00-06:00", "external_id": "ext-1"},
        format="json",
    )
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]
    assert again.json()["reminders"][0]["send_at"] == "2026-12-08T20:00:00Z"
    assert (
        api_client.post(
            "/api/v1/appointments/", {"starts_at": "2026-12-08T16:00:00Z"}, format="json"
        ).status_code
        == 400
    )
    url = f"/api/v1/appointments/{body['uuid']}/"
    assert other_api_client.get(url).status_code == 404
    moved = api_client.patch(
        url, {"starts_at": "2026-12-09T15:00:00-06:00", "location": "Room 2"}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["location"] == "Room 2"
    canceled = api_client.patch(url, {"status": "CANCELED"}, format="json")
    assert canceled.json()["status"] == "CANCELED"
    assert canceled.json()["reminders"][0]["status"] == "CANCELED"
    conflict = api_client.patch(url, {"title": "x"}, format="json")
    assert conflict.status_code == 409
    assert api_client.get("/api/v1/appointments/").json()["results"][0]["uuid"] == body["uuid"]

    second = api_client.post(
        "/api/v1/appointments/",
        {"to": "+13125550151", "starts_at": "2026-12-02T10:00:00-06:00"},
        format="json",
    ).json()
    clock.set(clock.at.replace(day=3))
    marked = api_client.patch(
        f"/api/v1/appointments/{second['uuid']}/", {"status": "NO_SHOW"}, format="json"
    )
    assert marked.json()["status"] == "NO_SHOW"

    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "a.csv", b"phone,starts_at\n3125550152,2026-12-10 09:00\nbad,x\n", "text/csv"
    )
    report = api_client.post("/api/v1/appointments/import/", {"file": upload}, format="multipart")
    assert report.status_code == 200, report.json()
    assert report.json()["created"] == 1 and report.json()["rejected"][0]["line"] == 3
    assert (
        api_client.post("/api/v1/appointments/import/", {}, format="multipart").status_code == 400
    )

    feed = api_client.post(
        "/api/v1/calendar-feeds/", {"url": "http://127.0.0.1:9/c.ics"}, format="json"
    )
    assert feed.status_code == 201 and feed.json()["name"] == "Calendar"
    assert (
        api_client.post("/api/v1/calendar-feeds/", {"url": "gopher://x"}, format="json").status_code
        == 400
    )
    assert len(api_client.get("/api/v1/calendar-feeds/").json()["results"]) == 1
    assert api_client.delete(f"/api/v1/calendar-feeds/{feed.json()['uuid']}/").status_code == 204
    assert api_client.delete(f"/api/v1/reminder-rules/{rule_uuid}/").status_code == 204
    assert not Reminder.objects.exists()
    assert Appointment.objects.count() == 3


def test_an_import_row_dated_on_no_such_day_is_rejected_not_a_500(api_client):
    # "2026-02-30 10:00" matches parse_datetime's pattern, which then raised ValueError
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "a.csv", b"phone,starts_at\n3125550152,2026-02-30 10:00\n", "text/csv"
    )
    report = api_client.post("/api/v1/appointments/import/", {"file": upload}, format="multipart")
    assert report.status_code == 200, report.content
    assert report.json()["created"] == 0 and report.json()["rejected"][0]["line"] == 2
