"""Portal pages: the wizard, live validation, status and reasons, numbers."""

import pytest
from django.urls import reverse

from accounts.readiness import steps_for
from accounts.roles import Role
from campaigns.models import Brand, Campaign, PhoneNumber
from tests.campaigns.conftest import brand_input, campaign_input
from tests.factories.accounts import MembershipFactory
from tests.factories.campaigns import BrandFactory, CampaignFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db


def _form(data: dict) -> dict:
    """As a browser posts it: ticked boxes send "on", unticked ones nothing."""
    if "usecase" in data:
        data = {"subscriber_optin": True, "subscriber_optout": True, "subscriber_help": True,
                "auto_renewal": True, **data}  # fmt: skip
    out = {}
    for key, value in data.items():
        if isinstance(value, bool):
            if value:
                out[key] = "on"
        else:
            out[key] = value
    return out


def test_the_wizard_end_to_end(owner_client, business):
    # step 1: brand, with field errors next to the field
    response = owner_client.post(reverse("campaigns:brand-new"), _form(brand_input(ein="12")))
    assert response.status_code == 400
    assert "9 digits with a valid IRS prefix" in response.content.decode()
    response = owner_client.post(reverse("campaigns:brand-new"), _form(brand_input()))
    brand = Brand.objects.get(business=business)
    assert response.status_code == 302 and str(brand.uuid) in response["Location"]
    response = owner_client.post(reverse("campaigns:brand-register", args=[brand.uuid]))
    brand.refresh_from_db()
    assert brand.status == "OK" and "campaigns/new" in response["Location"]

    # step 2: the campaign form explains the fields in plain words
    page = owner_client.get(reverse("campaigns:campaign-new")).content.decode()
    assert "Msg &amp; data rates may apply" in page and "snowshoeing" in page
    data = _form({**campaign_input(), "brand": str(brand.uuid)})
    data["sub_usecases"] = ["ACCOUNT_NOTIFICATION", "MARKETING"]
    response = owner_client.post(reverse("campaigns:campaign-new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(business=business)
    assert campaign.sub_usecases == ["ACCOUNT_NOTIFICATION", "MARKETING"] and campaign.automated

    detail = owner_client.get(reverse("campaigns:campaign", args=[campaign.uuid])).content.decode()
    assert "Every rule we check passes" in detail and "Submit for registration" in detail
    owner_client.post(reverse("campaigns:campaign-submit", args=[campaign.uuid]))
    campaign.refresh_from_db()
    assert campaign.status == "SUBMITTED"
    detail = owner_client.get(reverse("campaigns:campaign", args=[campaign.uuid])).content.decode()
    assert "In review" in detail

    steps = {s.title: s.done for s in steps_for(business)}
    assert steps["Register your brand"] is True
    assert steps["Register a campaign and get it approved"] is False
    assert steps["Get a number on the approved campaign"] is False


def test_live_validation_returns_field_errors(owner_client, business):
    brand = BrandFactory(business=business, display_name="Bright Smile")
    data = _form({**campaign_input(sample1="Hello there, see you on Tuesday at 3pm!"),
                  "brand": str(brand.uuid)})  # fmt: skip
    data["sub_usecases"] = ["MARKETING"]
    body = owner_client.post(reverse("campaigns:campaign-validate"), data).json()
    assert "2 to 5" in body["fields"]["sub_usecases"][0]
    assert any("brand" in m for m in body["fields"]["sample1"])
    assert body["brand_name"] == "Bright Smile" and body["kinds"] == ["marketing"]


def test_rejection_reasons_and_appeal_on_the_page(owner_client, business):
    brand = BrandFactory(business=business, display_name="Bright Smile")
    campaign = CampaignFactory(
        business=business, brand=brand, status="REJECTED",
        failure_reasons=["The opt-in form is not reachable."],
    )  # fmt: skip
    page = owner_client.get(reverse("campaigns:campaign", args=[campaign.uuid])).content.decode()
    assert "The opt-in form is not reachable." in page and "Appeal" in page
    owner_client.post(
        reverse("campaigns:campaign-appeal", args=[campaign.uuid]),
        {"explanation": "The form is online now."},
    )
    campaign.refresh_from_db()
    assert campaign.status == "APPEALED"


def test_frozen_fields_are_disabled_after_submission(owner_client, business):
    campaign = CampaignFactory(business=business, status="SUBMITTED")
    page = owner_client.get(reverse("campaigns:campaign-edit", args=[campaign.uuid])).content
    page = page.decode()
    assert 'name="usecase"' in page and "Frozen" in page
    # a forged POST cannot change a frozen field: disabled fields keep the stored value
    new = f"{campaign.brand.display_name}: your new reminder for Tue 3pm. Reply STOP to opt out."
    response = owner_client.post(
        reverse("campaigns:campaign-edit", args=[campaign.uuid]),
        {
            "usecase": "MARKETING", "automated": "", "sample1": new, "sample2": campaign.sample2,
            "help_message": campaign.help_message, "message_flow": campaign.message_flow,
            "auto_renewal": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    campaign.refresh_from_db()
    assert campaign.usecase == "MIXED" and campaign.automated is True and campaign.sample1 == new


def test_numbers_page_assign_and_release(owner_client, business, carrier, settings):
    settings.CARRIER_URL = carrier.url
    approved = CampaignFactory(business=business, name="Reminders")
    page = owner_client.get(reverse("campaigns:numbers") + "?area_code=917").content.decode()
    assert "Rent +1917555" in page
    e164 = page.split("Rent ")[1].split("<")[0].strip()
    owner_client.post(reverse("campaigns:number-provision"), {"number": e164})
    number = PhoneNumber.objects.get(e164=e164)
    assert number.campaign == approved  # the one approved campaign gets it at once
    release = reverse("campaigns:number-release", args=[number.uuid])
    assert "Type " + e164 in owner_client.get(release).content.decode()
    owner_client.post(release, {"confirm": "+10000000000"})
    number.refresh_from_db()
    assert number.status == "ACTIVE"  # wrong confirmation: nothing happens
    owner_client.post(release, {"confirm": e164})
    number.refresh_from_db()
    assert number.status == "RELEASED"


def test_viewers_see_but_cannot_manage(client, login, business):
    viewer = MembershipFactory(business=business, role=Role.VIEWER.value)
    login(client, viewer)
    PhoneNumberFactory(business=business)
    page = client.get(reverse("campaigns:numbers")).content.decode()
    assert "Get a number" not in page and "Release" not in page
    assert client.get(reverse("campaigns:brand-new")).status_code == 403
    index = client.get(reverse("campaigns:index")).content.decode()
    assert "Register a brand" not in index


def test_user_input_is_escaped(owner_client, business):
    campaign = CampaignFactory(business=business, name="<script>alert(1)</script>")
    page = owner_client.get(reverse("campaigns:campaign", args=[campaign.uuid])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
