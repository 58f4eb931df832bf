"""README.md's first hour: what it tells a new user to click in the admin is there, and what
it says about emails is what happens."""

import re
from pathlib import Path

import pytest
from django.core import mail

from tests.factories.campaigns import CampaignFactory

pytestmark = pytest.mark.django_db

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}")
    return " ".join(README[start : README.index("\n## ", start + 1)].split())


@pytest.mark.parametrize(
    ("changelist", "action"),
    [
        ("/admin/accounts/business/", "Approve"),
        ("/admin/campaigns/campaignreview/", "Approve"),
        ("/admin/domains/branddomain/", "Verify by hand"),
    ],
)
def test_the_admin_actions_the_readme_names_exist(staff_client, business, changelist, action):
    CampaignFactory(business=business, status="SUBMITTED")  # a list shows actions once not empty
    section = _section("Your own business, from sign-up to a delivered text")
    assert f"*{action}*" in section
    page = staff_client.get(changelist).content.decode()
    assert re.search(rf"<option value=\"\w+\">{re.escape(action)}</option>", page), action


def test_signing_up_sends_no_email_as_the_readme_says(client):
    assert "signing up sends none" in README
    response = client.post(
        "/signup/",
        {
            "full_name": "Maya Chen",
            "email": "maya@luxehair.example",
            "password": "Maya-salon-pass-2026",
            "legal_name": "Luxe Hair Studio LLC",
            "display_name": "Luxe Hair",
            "website": "luxehair.example",
            "industry_description": "Hair salon: cuts, colour and bridal styling.",
            "time_zone": "America/Los_Angeles",
            "age_confirmed": "on",
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert mail.outbox == []
