"""The business's Compliance page: what it shows, to whom, and never another business's."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.roles import Role
from policies import penalties
from policies.models import Strike
from tests.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def _record(business, staff, ref, **over):
    data = {
        "business": business,
        "kind": "FINE",
        "carrier": "T-Mobile",
        "carrier_reference": ref,
        "amount": Decimal("1500.00"),
        "incurred_on": date(2026, 11, 2),
        "description": "Messages with an unbranded short link were filtered.",
        "actor": staff,
    }
    data.update(over)
    return penalties.penalty_record(**data)


def test_compliance_page_explains_restrictions_penalties_and_strikes(
    client, login, members, business, staff
):
    fine = _record(business, staff, "TMO-42")
    _record(
        business,
        staff,
        "TMO-42-W",
        kind="CREDIT",
        amount=Decimal("500"),
        offsets=fine,
        description="Partly waived.",
    )
    penalties.restriction_apply(
        business=business,
        kind="THROUGHPUT",
        limit=10,
        window=60,
        reason="Carrier filtering above 2 % this week.",
        remedy="Use your own domain in links; we review on Friday.",
        penalty=fine,
        ends_at=timezone.now() + timedelta(days=7),
        actor=staff,
    )
    lifted = penalties.restriction_apply(
        business=business,
        kind="THROUGHPUT",
        limit=20,
        window=60,
        reason="Old volume spike.",
        remedy="-",
        actor=staff,
    )
    penalties.restriction_lift(restriction=lifted, reason="Resolved in October.", actor=staff)
    Strike.objects.create(
        business=business, signal="carrier_filtered", explanation="2.4 % filtered"
    )

    login(client, members[Role.VIEWER])  # everyone in the business may read it
    html = client.get("/app/compliance/").content.decode()
    for text in (
        "Reduced throughput",
        "at most 10 message segments per number every 60 seconds",
        "Carrier filtering above 2 % this week.",
        "Use your own domain in links; we review on Friday.",
        "TMO-42",
        "1500.00 USD",
        "1000.00 USD",  # net of the credit
        "2.4 % filtered",
        "Resolved in October.",  # earlier restrictions
    ):
        assert text in html, text
    assert "Compliance" in html  # the navigation entry


def test_compliance_page_never_shows_another_business(client, login, owner, other_business, staff):
    _record(other_business, staff, "SECRET-REF")
    penalties.restriction_apply(
        business=other_business,
        kind="ACCOUNT_SUSPENSION",
        reason="Their secret reason",
        remedy="x",
        actor=staff,
    )
    login(client, owner)
    html = client.get("/app/compliance/").content.decode()
    assert "SECRET-REF" not in html and "Their secret reason" not in html
    assert "No restrictions" in html and "No carrier fines" in html


def test_compliance_page_with_nothing_recorded(client, login, owner):
    login(client, owner)
    response = client.get("/app/compliance/")
    assert response.status_code == 200
    assert "No strikes" in response.content.decode()


def test_suspended_business_sees_why_on_its_compliance_page(client, login, owner, business, staff):
    penalties.restriction_apply(
        business=business,
        kind="ACCOUNT_SUSPENSION",
        reason="Unpaid carrier fine TMO-9.",
        remedy="Pay the fine or write to us to appeal.",
        actor=staff,
    )
    login(client, owner)
    html = client.get("/app/compliance/").content.decode()
    assert "Account suspended" in html and "Pay the fine or write to us to appeal." in html
    assert "Sending is suspended: Unpaid carrier fine TMO-9." in html  # the portal banner
