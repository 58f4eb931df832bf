from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from messaging.templating import services as templating
from tests.factories.messaging import sending_number

CHI = ZoneInfo("America/Chicago")
BODY = (
    '{{ business_name }}: hi {{ first_name | default:"there" }}, '
    "see you {{ var.appointment_date }} "
    "at {{ var.appointment_time }}. Reply STOP to opt out."
)


def chi(*args) -> datetime:
    return datetime(*args, tzinfo=CHI)


@pytest.fixture
def number(business):
    return sending_number(business=business, e164="+13125559000")


@pytest.fixture
def template(business):
    return templating.template_create(
        business=business, name="Reminder", kind="informational", body=BODY
    )


class Clock:
    """Time control: every ``timezone.now()`` of the product answers ``at``."""

    def __init__(self, monkeypatch, at: datetime) -> None:
        self.at = at
        monkeypatch.setattr(timezone, "now", lambda: self.at)

    def set(self, at: datetime) -> None:
        self.at = at


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, chi(2026, 12, 1, 12, 0))
