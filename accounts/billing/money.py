"""Money arithmetic, pure (no Django): integer cents, unit prices in hundredths of a cent,
one rounding per line, half up. Tested table-driven in tests/billing/test_money.py."""

import calendar
from datetime import date, datetime, timedelta

SUBCENTS = 100  # hundredths of a cent per cent (models.SUBCENTS)


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, in integers (no float, no Decimal)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -round_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def line_amount(*, quantity: int, unit_subcents: int) -> int:
    """Cents for ``quantity`` units at ``unit_subcents`` (1/100 ¢) each, rounded once."""
    return round_half_up(quantity * unit_subcents, SUBCENTS)


def number_days_amount(*, number_days: int, month_subcents: int, days_in_period: int) -> int:
    """Numbers are priced per month and billed per day held: number-days × the monthly
    price ÷ the days of the period, rounded once for the line."""
    return round_half_up(number_days * month_subcents, SUBCENTS * days_in_period)


def messages_cost(
    *, segments: int, mms: int, included_segments: int, segment_subcents: int, mms_subcents: int
) -> int:
    """What messages add to a month's bill, in cents: segments beyond the included ones,
    and every MMS; the same two lines the invoice has (the spending cap counts this)."""
    billable = max(0, segments - included_segments)
    return line_amount(quantity=billable, unit_subcents=segment_subcents) + line_amount(
        quantity=mms, unit_subcents=mms_subcents
    )


def period_of(when: date | datetime) -> date:
    """The billing period (a calendar month, UTC) that ``when`` falls in, as its first day."""
    return date(when.year, when.month, 1)


def period_end(start: date) -> date:
    """The last day of the period starting ``start``."""
    return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


def next_period(start: date) -> date:
    return period_end(start) + timedelta(days=1)


def previous_period(start: date) -> date:
    return period_of(start - timedelta(days=1))


def days_in(start: date) -> int:
    return (period_end(start) - start).days + 1


def format_cents(cents: int, currency: str = "USD") -> str:
    """$1,234.56 for USD; other currencies by code (12.34 EUR)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{whole:,}.{frac:02d}"
    if currency.upper() == "USD":
        return f"{sign}${text}"
    return f"{sign}{text} {currency.upper()}"


def format_subcents(subcents: int, currency: str = "USD") -> str:
    """A unit price: $0.0079 (four decimals) for USD."""
    whole, frac = divmod(subcents, SUBCENTS * 100)
    text = f"{whole}.{frac:04d}"
    return f"${text}" if currency.upper() == "USD" else f"{text} {currency.upper()}"


def parse_cents(text: str) -> int:
    """ "12.34", "$1,234.5", "7" → cents; ValueError for anything else (no floats)."""
    cleaned = text.strip().replace(",", "").removeprefix("$").strip()
    if not cleaned or cleaned.count(".") > 1:
        raise ValueError("not an amount")
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() and whole != "":
        raise ValueError("not an amount")
    if frac and (not frac.isdigit() or len(frac) > 2):
        raise ValueError("at most two decimals")
    return int(whole or "0") * 100 + int((frac + "00")[:2])
