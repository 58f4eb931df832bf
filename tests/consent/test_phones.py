"""Phone parsing, table-driven: every input a form, an import or the API can hand over."""

import pytest

from consent.phones import InvalidPhone, normalize, time_zone_for


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(202) 555-0123", "+12025550123"),
        ("202.555.0123", "+12025550123"),
        ("12025550123", "+12025550123"),
        ("1 (202) 555-0123", "+12025550123"),
        ("+1 202 555 0123", "+12025550123"),
        ("  +12025550123  ", "+12025550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("1-800-FLOWERS", "+18003569377"),
        ("１２０２５５５０１２３", "+12025550123"),
    ],
)
def test_normalize_returns_e164(raw: str, e164: str) -> None:
    assert normalize(raw) == e164


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (None, "A phone number is required."),
        ("", "A phone number is required."),
        ("   ", "A phone number is required."),
        ("hello", "Not a phone number: 'hello'."),
        ("+999 12345", "Not a phone number: '+999 12345'."),
        ("1111", "Not a valid phone number: '1111'."),
        ("+44 20 7946 09", "Not a valid phone number: '+44 20 7946 09'."),
        ("1" * 60, "Not a phone number: '" + "1" * 40 + "'."),
    ],
)
def test_normalize_refuses_with_a_clear_message(raw: str | None, message: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize(raw)  # type: ignore[arg-type]
    assert str(excinfo.value) == message


@pytest.mark.parametrize(
    ("e164", "zone"),
    [
        ("+12025550123", "America/New_York"),
        ("+13105550123", "America/Los_Angeles"),
        ("+442079460958", "Europe/London"),
        ("not a number", ""),
        ("", ""),
    ],
)
def test_time_zone_for(e164: str, zone: str) -> None:
    assert time_zone_for(e164) == zone
    # The cached answer is the same as the first.
    assert time_zone_for(e164) == zone
