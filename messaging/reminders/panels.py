"""Reminders on the dashboard: confirmation and no-show rates of the last 30 days."""

from accounts.portal import dashboard

from .models import ReminderRule
from .selectors import appointment_rates


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def rates_context(business) -> dict | None:
    if not ReminderRule.objects.filter(business=business).exists():
        return None  # no reminders set up: no panel
    rates = appointment_rates(business=business)
    return {
        "rates": rates,
        "confirmation": _pct(rates["confirmation_rate"]),
        "no_show": _pct(rates["no_show_rate"]),
        "url": dashboard.url_or_blank("reminders:index"),
    }


def register() -> None:
    dashboard.register(
        dashboard.Panel(40, "reminders/panel.html", rates_context, "Appointment reminders")
    )
