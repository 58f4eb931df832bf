"""The money arithmetic, table-driven, without a database."""

from datetime import date, datetime

import pytest

from accounts.billing import money


@pytest.mark.parametrize(
    ("num", "den", "out"),
    [(0, 100, 0), (49, 100, 0), (50, 100, 1), (150, 100, 2), (249, 100, 2), (250, 100, 3),
     (-50, 100, -1), (-49, 100, 0), (7, 3, 2)],
)  # fmt: skip
def test_round_half_up(num, den, out):
    assert money.round_half_up(num, den) == out


def test_round_half_up_refuses_a_zero_denominator():
    with pytest.raises(ValueError):
        money.round_half_up(1, 0)


@pytest.mark.parametrize(
    ("quantity", "subcents", "cents"),
    [(0, 150, 0), (1, 150, 2), (3, 79, 2), (1000, 79, 790), (333, 150, 500), (1, 49, 0)],
)
def test_line_amount_rounds_once_per_line(quantity, subcents, cents):
    assert money.line_amount(quantity=quantity, unit_subcents=subcents) == cents


def test_number_days_are_a_share_of_the_monthly_price():
    # a whole month of one number is exactly the monthly price
    assert money.number_days_amount(number_days=31, month_subcents=15000, days_in_period=31) == 150
    # ten days of a 30-day month: 150 * 10 / 30 = 50 cents
    assert money.number_days_amount(number_days=10, month_subcents=15000, days_in_period=30) == 50


def test_messages_cost_counts_only_segments_beyond_the_included():
    common = {"included_segments": 500, "segment_subcents": 150, "mms_subcents": 400}
    assert money.messages_cost(segments=500, mms=0, **common) == 0
    assert money.messages_cost(segments=501, mms=0, **common) == 2
    assert money.messages_cost(segments=600, mms=2, **common) == 150 + 8


@pytest.mark.parametrize(
    ("when", "start", "end", "days"),
    [(date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28), 28),
     (datetime(2028, 2, 29, 23, 59), date(2028, 2, 1), date(2028, 2, 29), 29),
     (date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 31), 31)],
)  # fmt: skip
def test_periods(when, start, end, days):
    assert money.period_of(when) == start
    assert money.period_end(start) == end
    assert money.days_in(start) == days
    assert money.next_period(start) > end
    assert money.previous_period(money.next_period(start)) == start


@pytest.mark.parametrize(
    ("cents", "currency", "text"),
    [(0, "USD", "$0.00"), (123456, "USD", "$1,234.56"), (-5, "USD", "-$0.05"),
     (1234, "eur", "12.34 EUR")],
)  # fmt: skip
def test_format_cents(cents, currency, text):
    assert money.format_cents(cents, currency) == text


def test_format_subcents():
    assert money.format_subcents(150) == "$0.0150"
    assert money.format_subcents(15000) == "$1.5000"
    assert money.format_subcents(79, "EUR") == "0.0079 EUR"


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12.34", 1234), ("$1,234.5", 123450), ("7", 700), (" 0.05 ", 5), (".5", 50)],
)
def test_parse_cents(text, cents):
    assert money.parse_cents(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1.2.3", "-5", "1e3", "$"])
def test_parse_cents_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        money.parse_cents(text)
