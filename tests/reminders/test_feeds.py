"""An iCalendar feed served by a local HTTP server: appointments created, moved, canceled;
the fetch refuses private addresses unless allowed, redirects, errors and junk."""

import http.server
import threading

import pytest

from messaging.reminders import feeds, services
from messaging.reminders.models import Appointment, CalendarFeed, Reminder

from .conftest import chi

pytestmark = pytest.mark.django_db
A = Appointment.Status


def ics(*events: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Salon//Book//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    ).encode()


def event(uid, start, summary="Haircut", extra=""):
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\nDTSTART;TZID=America/Chicago:{start}\r\n"
        f"SUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
    )


class Server:
    """A loopback HTTP server answering ``routes[path] = (status, headers, body)``."""

    def __init__(self):
        self.routes: dict[str, tuple[int, dict, bytes]] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, headers, body = routes.get(self.path, (404, {}, b"no"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def allow_loopback(settings):
    settings.REMINDERS_FEED_ALLOW_PRIVATE = True


def test_a_feed_creates_moves_and_cancels_appointments(
    business, template, server, allow_loopback, clock
):
    services.reminder_rule_create(
        business=business, name="2 h", minutes_before=120, template=template
    )
    server.routes["/cal.ics"] = (200, {"Content-Type": "text/calendar"}, ics(
        event("a1", "20261208T150000", extra="ATTENDEE;CN=Ana Ruiz:tel:+13125550130\r\n"),
        event("a2", "20261209T100000", extra="DESCRIPTION:Client phone (312) 555-0131\r\n"),
        event("a3", "20261210T100000", extra="DESCRIPTION:walk-in, no phone\r\n"),
        event("old", "20261101T100000", extra="DESCRIPTION:312-555-0132\r\n"),
    ))  # fmt: skip
    feed = services.calendar_feed_create(
        business=business, name="Salon", url=f"{server.url}/cal.ics"
    )
    outcome = services.calendar_feed_poll(feed=feed)
    assert outcome == {"created": 2, "updated": 0, "canceled": 0, "skipped": 1}
    ana = Appointment.objects.get(business=business, contact__phone="+13125550130")
    assert ana.starts_at == chi(2026, 12, 8, 15, 0) and ana.contact.name == "Ana Ruiz"
    assert ana.source == "ical" and ana.feed == feed
    assert Reminder.objects.get(appointment=ana).send_at == chi(2026, 12, 8, 13, 0)
    feed.refresh_from_db()
    assert feed.last_result.startswith("2 new, 0 updated, 0 canceled, 1 without")

    # Ana moves to the next day; a2 is canceled in the booking system; nothing else changes
    server.routes["/cal.ics"] = (200, {}, ics(
        event("a1", "20261209T150000", extra="ATTENDEE;CN=Ana Ruiz:tel:+13125550130\r\n"),
        event("a2", "20261209T100000", extra="STATUS:CANCELLED\r\n"),
    ))  # fmt: skip
    outcome = services.calendar_feed_poll(feed=feed)
    assert (outcome["updated"], outcome["canceled"]) == (1, 1)
    ana.refresh_from_db()
    assert ana.starts_at == chi(2026, 12, 9, 15, 0)
    assert Reminder.objects.get(appointment=ana).send_at == chi(2026, 12, 9, 13, 0)
    a2 = Appointment.objects.get(business=business, contact__phone="+13125550131")
    assert a2.status == A.CANCELED and Reminder.objects.get(appointment=a2).status == "CANCELED"

    # an event gone from the feed is canceled too
    server.routes["/cal.ics"] = (200, {}, ics())
    assert services.calendar_feed_poll(feed=feed)["canceled"] == 1
    ana.refresh_from_db()
    assert ana.status == A.CANCELED


def test_the_beat_task_polls_only_stale_feeds(business, server, allow_loopback, clock):
    server.routes["/c.ics"] = (200, {}, ics())
    feed = services.calendar_feed_create(business=business, name="C", url=f"{server.url}/c.ics")
    assert services.calendar_feeds_poll_due() == 1
    assert services.calendar_feeds_poll_due() == 0
    feed.refresh_from_db()
    assert feed.last_polled_at is not None


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ((500, {}, b"boom"), "HTTP 500"),
        ((302, {"Location": "http://169.254.169.254/latest/"}, b""), "HTTP 302"),
        ((200, {}, b"x" * 5000), "larger than"),
        ((200, {}, b"<html>not a calendar</html>"), "not an iCalendar"),
    ],
)
def test_feed_errors_are_recorded_on_the_feed(
    business, server, allow_loopback, settings, route, words
):
    settings.REMINDERS_FEED_MAX_BYTES = 4000
    server.routes["/bad.ics"] = route
    feed = services.calendar_feed_create(business=business, name="Bad", url=f"{server.url}/bad.ics")
    outcome = services.calendar_feed_poll(feed=feed)
    assert words in outcome["error"]
    assert words in CalendarFeed.objects.get(pk=feed.pk).last_result


def test_private_addresses_are_refused_unless_allowed(business, server, settings):
    settings.REMINDERS_FEED_ALLOW_PRIVATE = False
    server.routes["/c.ics"] = (200, {}, ics())
    for url in (f"{server.url}/c.ics", "http://localhost:1/c.ics"):
        with pytest.raises(feeds.FeedError, match="private or reserved network address"):
            feeds.fetch(url, timeout=2, max_bytes=1000, allow_private=False)
    with pytest.raises(feeds.FeedError, match="no address"):
        feeds.fetch(
            "http://no-such-host.invalid/c.ics", timeout=2, max_bytes=1000, allow_private=False
        )
    for url in ("ftp://example.com/c.ics", "http://user:pw@example.com/c.ics", "example.com"):
        with pytest.raises(feeds.FeedError):
            feeds.check_url(url)


def test_parse_reads_floating_and_all_day_events():
    content = ics(
        "BEGIN:VEVENT\r\nUID:f1\r\nDTSTART:20261208T150000\r\nSUMMARY:Floating\r\n"
        "LOCATION:Main St\r\nDESCRIPTION:call 312.555.0140\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:d1\r\nDTSTART;VALUE=DATE:20261209\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nDTSTART:20261209T100000Z\r\nEND:VEVENT\r\n",  # no UID: ignored
    )
    events = feeds.parse(content, zone="America/Chicago")
    assert [e.uid for e in events] == ["f1", "d1"]
    assert events[0].starts_at == chi(2026, 12, 8, 15, 0) and events[0].phone == "312.555.0140"
    assert events[0].location == "Main St"
    assert events[1].starts_at == chi(2026, 12, 9, 9, 0) and events[1].phone == ""


def test_a_bad_feed_url_is_refused_at_creation(business):
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as info:
        services.calendar_feed_create(business=business, name="x", url="file:///etc/passwd")
    assert "url" in info.value.fields
