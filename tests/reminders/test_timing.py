"""When reminders go and how replies read, table-driven (pure: no database)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from messaging import quiet_hours
from messaging.reminders import timing

CHI = ZoneInfo("America/Chicago")
FEDERAL = quiet_hours.Window(8, 21)


def chi(*args) -> datetime:
    return datetime(*args, tzinfo=CHI)


SEND_TIMES = [
    # (appointment, minutes before, zones, expected local send time)
    (chi(2026, 12, 8, 15, 0), 2880, ["America/Chicago"], chi(2026, 12, 6, 15, 0)),
    (chi(2026, 12, 8, 15, 0), 120, ["America/Chicago"], chi(2026, 12, 8, 13, 0)),
    # 2 h before 8:30 is 6:30, quiet: the evening before, at the last open minute
    (chi(2026, 12, 9, 8, 30), 120, ["America/Chicago"], chi(2026, 12, 8, 20, 59)),
    # 48 h before 7:00 is 7:00, quiet: the evening before that
    (chi(2026, 12, 9, 7, 0), 2880, ["America/Chicago"], chi(2026, 12, 6, 20, 59)),
    # two candidate zones: open in both (New York is an hour ahead: 21:00 there is closed)
    (
        chi(2026, 12, 9, 22, 0),
        60,
        ["America/Chicago", "America/New_York"],
        chi(2026, 12, 9, 19, 59),
    ),
    # exactly at the opening is open
    (chi(2026, 12, 9, 10, 0), 120, ["America/Chicago"], chi(2026, 12, 9, 8, 0)),
]


@pytest.mark.parametrize(("starts", "minutes", "zones", "expected"), SEND_TIMES)
def test_send_time(starts, minutes, zones, expected):
    got = timing.send_time(starts_at=starts, minutes_before=minutes, zones=zones, window=FEDERAL)
    assert got == expected


def test_florida_window_is_stricter():
    window = quiet_hours.window_for("+13055550100")
    starts = datetime(2026, 12, 9, 21, 30, tzinfo=ZoneInfo("America/New_York"))
    got = timing.send_time(
        starts_at=starts, minutes_before=60, zones=["America/New_York"], window=window
    )
    assert got == datetime(2026, 12, 9, 19, 59, tzinfo=ZoneInfo("America/New_York"))


def test_last_allowed_refuses_an_empty_window():
    with pytest.raises(ValueError):
        quiet_hours.last_allowed(
            datetime(2026, 1, 1, tzinfo=UTC), zones=["UTC"], window=quiet_hours.Window(9, 9)
        )


REPLIES = [
    ("C", "C", "R", timing.CONFIRM),
    (" c. ", "C", "R", timing.CONFIRM),
    ("r", "C", "R", timing.RESCHEDULE),
    ("Confirmar", "CONFIRMAR", "CAMBIAR", timing.CONFIRM),
    ("cámbiar", "CONFIRMAR", "CAMBIAR", timing.RESCHEDULE),
    ("C please", "C", "R", ""),
    ("", "C", "R", ""),
    ("!!", "C", "R", ""),
    ("yes", "C", "R", ""),
]


@pytest.mark.parametrize(("body", "confirm", "reschedule", "action"), REPLIES)
def test_reply_action(body, confirm, reschedule, action):
    assert timing.reply_action(body, confirm_word=confirm, reschedule_word=reschedule) == action


def test_words():
    words = timing.local_words(datetime(2026, 12, 8, 21, 5, tzinfo=UTC), "America/Chicago")
    assert words == {"appointment_date": "Tue Dec 8", "appointment_time": "3:05 PM"}
    noon = timing.local_words(datetime(2026, 12, 8, 18, 0, tzinfo=UTC), "America/Chicago")
    assert noon["appointment_time"] == "12:00 PM"
    assert timing.words_hint(confirm_word="C", reschedule_word="R") == (
        "Reply C to confirm or R to reschedule."
    )
    assert timing.shows_words(
        "Reply C to confirm, R to move it.", confirm_word="C", reschedule_word="R"
    )
    assert not timing.shows_words(
        "See you at 3pm. Reply STOP to opt out.", confirm_word="C", reschedule_word="R"
    )
