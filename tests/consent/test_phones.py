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
        ("+1 787 555 0123", "+17875550123"),  # Puerto Rico: a US territory, US carriers
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


# Issue 18, finding 5: each of these was stored as a mobile before; each is refused now, with
# the reason the person sees (API field error, form error, import row).
TOLL_FREE = "Toll-free numbers cannot be recipients: enter the person's mobile number."
NOT_US = "Only US mobile numbers can receive texts from us."
LETTERS = "Enter the number in digits: letters (as in 1-800-FLOWERS) are not allowed."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("+1 900 555 0123", "Premium-rate numbers (+1 900) cannot receive texts."),
        ("19005550123", "Premium-rate numbers (+1 900) cannot receive texts."),
        ("+1 800 555 0123", TOLL_FREE),
        ("(888) 555-0123", TOLL_FREE),
        ("+18335550123", TOLL_FREE),
        ("1-800-FLOWERS", LETTERS),
        ("202-555-CALL", LETTERS),
        ("hello", LETTERS),
        ("tel:+12025550123", "Enter the number itself, not a tel: link."),
        ("TEL:2025550123", "Enter the number itself, not a tel: link."),
        ("+44 20 7946 0958", NOT_US),
        ("+1 416 555 0123", NOT_US),  # Toronto: NANP, but Canada
        ("+52 55 1234 5678", NOT_US),
        ("+1 500 555 0006", "This kind of number cannot receive texts: enter a mobile number."),
    ],
)
def test_recipient_numbers_that_cannot_receive_texts_are_refused(raw: str, message: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize(raw)
    assert str(excinfo.value) == message


def test_toll_free_recipients_when_the_setting_allows(settings) -> None:
    assert normalize("+1 800 555 0123", allow_toll_free=True) == "+18005550123"
    settings.CONSENT_TOLL_FREE_RECIPIENTS = True
    assert normalize("(888) 555-0123") == "+18885550123"
    with pytest.raises(InvalidPhone, match="Premium-rate"):
        normalize("+1 900 555 0123")  # the setting opens toll-free only


def test_parsing_a_sender_is_not_judging_a_recipient() -> None:
    # An inbound text's sender (a STOP from abroad counts) and look-ups only parse.
    assert normalize("+44 20 7946 0958", recipient=False) == "+442079460958"
    assert normalize("+1 800 555 0123", recipient=False) == "+18005550123"
