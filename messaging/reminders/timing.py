"""When a reminder goes and how a reply is read. Pure: no ORM.

A rule's reminder is due ``minutes_before`` the appointment; if that moment falls in quiet
hours in any of the client's candidate time zones (``quiet_hours.zones_for``: the contact's
zone and the number's), it goes at the latest earlier moment that is open everywhere —
a 2-hours-before reminder of an 8:30 appointment goes at 20:59 the evening before, never
after the appointment and never at night.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from messaging import keywords, quiet_hours

CONFIRM = "confirm"
RESCHEDULE = "reschedule"


def send_time(
    *, starts_at: datetime, minutes_before: int, zones: list[str], window: quiet_hours.Window
) -> datetime:
    due = starts_at - timedelta(minutes=minutes_before)
    return quiet_hours.last_allowed(due, zones=zones, window=window)


def reply_action(body: str, *, confirm_word: str, reschedule_word: str) -> str:
    """``confirm``, ``reschedule`` or "" for a text that is neither word (case, spacing,
    punctuation and accents folded, as keywords are)."""
    said = keywords.key(body)
    if not said:
        return ""
    if said == keywords.key(confirm_word):
        return CONFIRM
    if said == keywords.key(reschedule_word):
        return RESCHEDULE
    return ""


def local_words(moment: datetime, zone: str) -> dict[str, str]:
    """The appointment's date and time as the client reads them, in their zone."""
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.strftime("%I").lstrip("0") or "12"
    return {
        "appointment_date": f"{local:%a %b} {local.day}",
        "appointment_time": f"{hour}:{local:%M} {local:%p}",
    }


def words_hint(*, confirm_word: str, reschedule_word: str) -> str:
    return f"Reply {confirm_word} to confirm or {reschedule_word} to reschedule."


def shows_words(text: str, *, confirm_word: str, reschedule_word: str) -> bool:
    """Whether the text already tells the client both reply words."""
    upper = keywords.normalise(text).split()
    return (
        keywords.normalise(confirm_word) in upper and keywords.normalise(reschedule_word) in upper
    )
