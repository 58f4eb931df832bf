"""A business's iCalendar feed: fetched without letting the URL reach our own network, and
parsed into plain events. No ORM.

Fetch: through ``accounts.outbound.pinned_pool``, the one resolver of outbound requests:
http(s) only, no user-info in the URL; the host is resolved once and every address must be
public (not private, loopback, link-local, reserved, multicast) unless ``allow_private``
(the tests' loopback server; ``REMINDERS_FEED_ALLOW_PRIVATE``, on only in DEBUG); the
connection goes to the address that was checked (no second lookup that DNS rebinding could
answer differently). Here: redirects are not followed; at most ``max_bytes`` are read
within ``timeout`` seconds.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from urllib3.exceptions import HTTPError

from accounts import outbound

USER_AGENT = "ContactYourClient-Calendar/1.0"
PHONE_IN_TEXT = re.compile(r"(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}")


class FeedError(Exception):
    """The feed could not be fetched or read; the message says why, for the business."""


@dataclass(frozen=True)
class Event:
    uid: str
    starts_at: datetime
    title: str
    location: str
    phone: str
    name: str
    canceled: bool


def check_url(url: str) -> str:
    """The URL if it may be fetched at all (shape only), else FeedError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FeedError("Give a full http:// or https:// address of the .ics feed.")
    if parts.username or parts.password:
        raise FeedError("Put no user name or password in the address.")
    return url.strip()


def fetch(url: str, *, timeout: float, max_bytes: int, allow_private: bool) -> bytes:
    try:
        pool, path, host_header = outbound.pinned_pool(
            check_url(url), allow_private=allow_private, timeout=timeout
        )
    except outbound.AddressRefused as exc:
        raise FeedError(str(exc)) from None
    try:
        resp = pool.urlopen(
            "GET", path,
            headers={"Host": host_header, "User-Agent": USER_AGENT,
                     "Accept": "text/calendar"},
            redirect=False, retries=False, preload_content=False, assert_same_host=False,
        )  # fmt: skip
    except HTTPError as exc:
        pool.close()
        raise FeedError(f"We could not fetch the feed ({type(exc).__name__}).") from None
    try:
        if resp.status != 200:
            raise FeedError(f"The feed answered HTTP {resp.status}.")
        try:
            body = resp.read(max_bytes + 1)
        except HTTPError:
            raise FeedError(f"The feed did not arrive within {timeout:g} s.") from None
        if len(body) > max_bytes:
            raise FeedError(f"The feed is larger than {max_bytes} bytes.")
        return body
    finally:
        resp.release_conn()
        pool.close()


def _when(value, zone: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a floating time: the business's zone
            return value.replace(tzinfo=ZoneInfo(zone))
        return value
    if isinstance(value, date):  # an all-day event: 9:00 that day
        return datetime.combine(value, time(9), tzinfo=ZoneInfo(zone))
    raise FeedError("An event has no start.")


def _phone(component) -> str:
    attendees = component.get("ATTENDEE")
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if attendee is not None and str(attendee).lower().startswith("tel:"):
            return str(attendee)[4:]
    for field in ("DESCRIPTION", "LOCATION", "SUMMARY", "CONTACT"):
        match = PHONE_IN_TEXT.search(str(component.get(field) or ""))
        if match:
            return match.group(0)
    return ""


def _name(component) -> str:
    attendees = component.get("ATTENDEE")
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if attendee is not None and attendee.params.get("CN"):
            return str(attendee.params["CN"])[:200]
    return ""


def parse(content: bytes, *, zone: str) -> list[Event]:
    """Every VEVENT with a UID and a start (FeedError for a file that is not iCalendar)."""
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError, KeyError) as exc:
        raise FeedError(f"The feed is not an iCalendar file ({str(exc)[:80]}).") from None
    events = []
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID") or "").strip()
        start = component.get("DTSTART")
        if not uid or start is None:
            continue
        events.append(
            Event(
                uid=uid[:200],
                starts_at=_when(start.dt, zone).astimezone(UTC),
                title=str(component.get("SUMMARY") or "")[:200],
                location=str(component.get("LOCATION") or "")[:200],
                phone=_phone(component),
                name=_name(component),
                canceled=str(component.get("STATUS") or "").upper() == "CANCELLED",
            )
        )
    return events
