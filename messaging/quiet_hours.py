"""Quiet hours in the recipient's time zone. Pure (zoneinfo and phonenumbers only).

Federal (47 CFR 64.1200(c)(1)): no solicitations before 8:00 or after 21:00 at the
recipient's location; Florida (Fla. Stat. 501.616(6)) and Oklahoma (Telephone
Solicitation Act 2022): 8:00-20:00, presumed from the area code. Applied to marketing and
informational kinds; a message inside quiet hours is deferred to the next opening, never
dropped. When the zone is uncertain (a number whose area code spans zones, or a known
zone that differs from the area code's) every candidate zone must be open: the most
restrictive reading wins.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as pn_timezone

FEDERAL_WINDOW = (8, 21)

# State rules as data: state -> (first allowed hour, first forbidden hour).
STATE_WINDOWS: dict[str, tuple[int, int]] = {
    "FL": (8, 20),
    "OK": (8, 20),
}

# Area codes whose holders the state presumes to be residents (FL 501.059, OK 2022 Act).
STATE_AREA_CODES: dict[str, frozenset[str]] = {
    "FL": frozenset(
        {"239", "305", "321", "324", "352", "386", "407", "448", "561", "645", "656", "689"}
        | {"727", "728", "754", "772", "786", "813", "850", "863", "904", "941", "954"}
    ),
    "OK": frozenset(["405", "539", "572", "580", "918"]),
}

QUIET_KINDS = frozenset({"marketing", "informational"})


@dataclass(frozen=True)
class Window:
    start: int  # hour, inclusive
    end: int  # hour, exclusive


def area_code(e164: str) -> str:
    return e164[2:5] if e164.startswith("+1") and len(e164) == 12 else ""


def state_for(e164: str) -> str:
    code = area_code(e164)
    return next((state for state, codes in STATE_AREA_CODES.items() if code in codes), "")


def zones_for(e164: str, known_zone: str = "") -> list[str]:
    """Candidate time zones: the known one plus the number's (phonenumbers' data)."""
    zones: list[str] = []
    if known_zone and zone_loadable(known_zone):
        zones.append(known_zone)
    try:
        parsed = phonenumbers.parse(e164, None)
        for zone in pn_timezone.time_zones_for_number(parsed):
            if zone not in zones and zone != "Etc/Unknown":
                zones.append(zone)
    except phonenumbers.NumberParseException:
        pass
    return zones or ["America/New_York"]


def zone_loadable(zone: str) -> bool:
    """Whether zoneinfo knows ``zone`` (contacts saved before zones were validated may hold
    anything; quiet hours must still be computed from the number)."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def window_for(e164: str, *, business_window: tuple[int, int] | None = None) -> Window:
    """The strictest of federal, the recipient's state and the business's own setting."""
    start, end = FEDERAL_WINDOW
    state = STATE_WINDOWS.get(state_for(e164))
    for other in (state, business_window):
        if other:
            start, end = max(start, other[0]), min(end, other[1])
    return Window(start, end)


def _open_in(moment: datetime, zone: str, window: Window) -> bool:
    local = moment.astimezone(ZoneInfo(zone))
    return window.start <= local.hour < window.end


def _next_opening(moment: datetime, zone: str, window: Window) -> datetime:
    local = moment.astimezone(ZoneInfo(zone))
    day = local.date() if local.hour < window.start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, time(window.start), tzinfo=ZoneInfo(zone))
    return opening.astimezone(moment.tzinfo)


def next_allowed(now: datetime, *, zones: list[str], window: Window) -> datetime | None:
    """None if ``now`` is inside the window in every zone, else the next moment it is."""
    if window.start >= window.end:
        raise ValueError("empty quiet-hours window")
    moment = now
    for _ in range(len(zones) * 3 + 3):
        closed = [z for z in zones if not _open_in(moment, z, window)]
        if not closed:
            return None if moment == now else moment
        moment = max(_next_opening(moment, z, window) for z in closed)
    raise ValueError("the zones never share an open window")


def _previous_closing(moment: datetime, zone: str, window: Window) -> datetime:
    """The last minute of the latest open window that starts before ``moment``."""
    local = moment.astimezone(ZoneInfo(zone))
    day = local.date() if local.hour >= window.end else local.date() - timedelta(days=1)
    closing = datetime.combine(day, time(window.end), tzinfo=ZoneInfo(zone))
    return (closing - timedelta(minutes=1)).astimezone(moment.tzinfo)


def last_allowed(moment: datetime, *, zones: list[str], window: Window) -> datetime:
    """``moment`` if it is inside the window in every zone, else the latest earlier moment
    that is (a reminder due at 6:00 goes the evening before, not after the appointment)."""
    if window.start >= window.end:
        raise ValueError("empty quiet-hours window")
    for _ in range(len(zones) * 3 + 3):
        closed = [z for z in zones if not _open_in(moment, z, window)]
        if not closed:
            return moment
        moment = min(_previous_closing(moment, z, window) for z in closed)
    raise ValueError("the zones never share an open window")
