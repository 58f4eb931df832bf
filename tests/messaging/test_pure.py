"""Pure cores: segments, keywords, rate-cap arithmetic, quiet hours (no database)."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from messaging import keywords, quiet_hours, ratecap, segments

# --- segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "units", "count"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters count two
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "{" + "a" * 10, "GSM-7", 164, 2),  # escape pair not split
        ("[]{}|^~\\", "GSM-7", 16, 1),
        ("Hello ç", "UCS-2", 7, 1),  # lowercase ç is not GSM-7
        ("“quoted”", "UCS-2", 8, 1),  # curly quotes switch the whole body
        ("ä" * 70, "GSM-7", 70, 1),
        ("Ж" * 70, "UCS-2", 70, 1),
        ("Ж" * 71, "UCS-2", 71, 2),
        ("Ж" * 134, "UCS-2", 134, 2),
        ("Ж" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # surrogate pairs count two
        ("😀" * 36, "UCS-2", 72, 2),  # smsutil: [33, 3]
        ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ", "GSM-7", 31, 1),
        ("a\x1b", "UCS-2", 2, 1),  # the escape code alone is no character of the table
        ("\ud83d" + "a" * 69, "UCS-2", 70, 1),  # a lone surrogate (JSON allows it): one unit
        ("😀" + "€" * 3, "UCS-2", 5, 1),
    ],
)
def test_segments(text, encoding, units, count):
    info = segments.segment_info(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, count)


@given(st.text(alphabet=st.sampled_from("a€{😀Ж\x1bç\ud800 "), max_size=400))
def test_units_are_the_characters_widths(text):
    """The count of units (C loops over the string) is the sum of each character's width,
    which the split into segments walks."""
    gsm = all(ch in segments.GSM7_BASIC + segments.GSM7_EXTENSION for ch in text)
    assert segments.is_gsm7(text) == (gsm and "\x1b" not in text)
    info = segments.segment_info(text)
    assert info.units == sum(segments._unit_sizes(text, info.encoding))


# --- keywords ----------------------------------------------------------------------------

K = keywords


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("STOP", K.OPT_OUT),
        ("stop", K.OPT_OUT),
        ("  Stop. ", K.OPT_OUT),
        ("STOP!!", K.OPT_OUT),
        ("Unsubscribe", K.OPT_OUT),
        ("cancel", K.OPT_OUT),
        ("End", K.OPT_OUT),
        ("quit", K.OPT_OUT),
        ("REVOKE", K.OPT_OUT),
        ("optout", K.OPT_OUT),
        ("opt out", K.OPT_OUT),
        ("Opt-Out", K.OPT_OUT),
        ("OPT  -  OUT", K.OPT_OUT),
        ("remove", K.OPT_OUT),
        ("STOPALL", K.OPT_OUT_ALL),
        ("stop all", K.OPT_OUT_ALL),
        ("Stop-All!", K.OPT_OUT_ALL),
        ("please stop texting me", K.OPT_OUT),
        ("Stop sending me messages", K.OPT_OUT),
        ("don't text me again", K.OPT_OUT),
        ("Please remove me from this list", K.OPT_OUT),
        ("take me off your list", K.OPT_OUT),
        ("START", K.OPT_IN),
        ("unstop", K.OPT_IN),
        ("Yes", K.CONFIRM),
        ("yes!", K.CONFIRM),
        ("HELP", K.HELP),
        ("info", K.HELP),
        ("Help?", K.HELP),
        ("don't stop texting me, I love the deals", K.NONE),
        ("can I move my appointment to 3pm?", K.NONE),
        ("stop by the office tomorrow?", K.NONE),
        ("thanks", K.NONE),
        ("", K.NONE),
        ("...", K.NONE),
    ],
)
def test_keyword_defaults(text, action):
    assert keywords.classify(text).action == action


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("ENOUGH", K.OPT_OUT),
        ("join", K.OPT_IN),
        ("support", K.HELP),
        ("STOP", K.OPT_OUT),  # defaults still apply
    ],
)
def test_campaign_keywords(text, action):
    match = keywords.classify(
        text, optout_keywords="ENOUGH,BASTA", optin_keywords=["JOIN"], help_keywords="SUPPORT"
    )
    assert match.action == action


# --- rate cap ----------------------------------------------------------------------------


def test_capacity_counts_only_active_slots():
    slots = [ratecap.Slot(10.0, 3), ratecap.Slot(20.0, 1), ratecap.Slot(5.0, 40)]
    assert ratecap.used(slots, now=9.0) == 4
    assert ratecap.free_capacity(slots, now=9.0, limit=5) == 1
    assert ratecap.free_capacity(slots, now=4.0, limit=5) == 0
    assert ratecap.free_capacity(slots, now=10.0, limit=5) == 4  # frees_at is exclusive


@pytest.mark.parametrize(
    ("need", "expected"),
    [(1, 0.0), (2, 10.0), (4, 20.0), (5, 20.0)],
)
def test_next_free_at(need, expected):
    slots = [ratecap.Slot(10.0, 1), ratecap.Slot(20.0, 3)]
    assert ratecap.next_free_at(slots, now=0.0, limit=5, need=need) == expected


@pytest.mark.parametrize(
    ("sizes", "capacity", "count"),
    [([1, 1, 1], 2, 2), ([3, 1], 2, 0), ([1, 3, 1], 3, 1), ([], 5, 0), ([2, 2], 4, 2)],
)
def test_take_keeps_queue_order(sizes, capacity, count):
    assert ratecap.take(sizes, capacity=capacity) == count


def test_frees_at_bounds():
    assert ratecap.pending_frees_at(reserved_at=100, window=60, timeout=10, margin=0.5) == 170.5
    assert ratecap.done_frees_at(done_at=101, window=60, margin=0.5) == 161.5


@pytest.mark.parametrize(
    ("events", "window", "best"),
    [
        ([], 60, 0),
        ([(0, 1), (59.9, 1), (60.1, 1)], 60, 2),
        ([(0, 1), (60, 1)], 60, 2),  # closed window
        ([(0, 2), (1, 3), (100, 1)], 60, 5),
        ([(i * 1.2, 1) for i in range(100)], 6, 6),
    ],
)
def test_max_in_window(events, window, best):
    assert ratecap.max_in_window(events, window=window) == best


def test_retry_delay_is_bounded():
    delays = [ratecap.retry_delay(attempt=n, base=2, cap=30) for n in range(1, 8)]
    assert delays == [2, 4, 8, 16, 30, 30, 30]


# --- quiet hours -------------------------------------------------------------------------

NY = "+12125550100"
MIAMI = "+13055550100"
TULSA = "+19185550100"


@pytest.mark.parametrize(
    ("phone", "window"),
    [(NY, (8, 21)), (MIAMI, (8, 20)), (TULSA, (8, 20)), ("+442071234567", (8, 21))],
)
def test_window_by_state(phone, window):
    w = quiet_hours.window_for(phone)
    assert (w.start, w.end) == window


def test_business_window_can_only_be_stricter():
    w = quiet_hours.window_for(NY, business_window=(9, 22))
    assert (w.start, w.end) == (9, 21)


def _utc(h, m=0, day=2):
    return datetime(2026, 3, day, h, m, tzinfo=UTC)  # March 2: New York is UTC-5


@pytest.mark.parametrize(
    ("now", "phone", "zone", "expected"),
    [
        (_utc(15), NY, "", None),  # 10:00 local
        (_utc(12, 59), NY, "", _utc(13)),  # 7:59 -> 8:00 the same day
        (_utc(2), NY, "", _utc(13)),  # 21:00 the day before -> 8:00
        (_utc(1, 59), NY, "", None),  # 20:59 local
        (_utc(1, 30), MIAMI, "", _utc(13)),  # 20:30 in Florida: closed
        (_utc(0, 59), MIAMI, "", None),  # 19:59 in Florida
        # Known zone Los Angeles with a New York number: both must be open.
        (_utc(14), NY, "America/Los_Angeles", _utc(16)),  # 6:00 in LA
        (_utc(3), NY, "America/Los_Angeles", _utc(16)),  # 22:00 NY, then 5:00 LA
        # A stored zone zoneinfo cannot load (older data): the number's zones decide.
        (_utc(15), NY, "Mars/Olympus_Mons", None),
        (_utc(2), NY, "Central Time", _utc(13)),
    ],
)
def test_next_allowed(now, phone, zone, expected):
    zones = quiet_hours.zones_for(phone, zone)
    assert quiet_hours.next_allowed(now, zones=zones, window=quiet_hours.window_for(phone)) == (
        expected
    )
