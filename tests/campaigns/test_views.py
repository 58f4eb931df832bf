"""Portal pages: the wizard, live validation, status and reasons, numbers."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.portal.readiness import steps_for
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


def _label(page: str, field: str) -> str:
    return re.search(rf'<label for="id_{field}">(.*?)</label>', page, re.S).group(1)


def test_the_brand_form_labels_the_ein_as_tcr_requires_it(owner_client, business):
    # it said "EIN (optional)": every kind of organisation but a sole proprietor needs one
    page = owner_client.get(reverse("campaigns:brand-new")).content.decode()
    assert "optional" not in _label(page, "ein")
    assert "required unless you are a sole proprietor" in _label(page, "ein")
    assert "optional" not in _label(page, "company_name")
    for field in ("stock_symbol", "stock_exchange", "business_contact_email"):
        assert "required for a public company" in _label(page, field)
    for field in ("first_name", "last_name", "mobile_phone"):
        assert "required for a sole proprietor" in _label(page, field)
    assert "(optional)" in _label(page, "alt_business_id")  # truly optional stays so

    for entity in ("PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT"):
        refused = owner_client.post(
            reverse("campaigns:brand-new"), _form(brand_input(entity_type=entity, ein=""))
        )
        assert refused.status_code == 400
        assert "The EIN (9-digit US tax ID) is required." in refused.content.decode()
    sole = brand_input(entity_type="SOLE_PROPRIETOR", ein="", company_name="",
                       first_name="Ana", last_name="Diaz", mobile_phone="+12025550111")  # fmt: skip
    response = owner_client.post(reverse("campaigns:brand-new"), _form(sole))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Brand.objects.get(business=business).ein == ""


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


# --- error paths: every refusal is a message or a field error, never a 500 ------------------


def _message(response) -> str:
    """The message this response queued (redirects are not followed, so earlier ones wait)."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)][-1]


def test_brand_edit_shows_field_errors_and_saves_a_valid_change(owner_client, business):
    brand = BrandFactory(business=business, status=Brand.Status.DRAFT, display_name="Old")
    url = reverse("campaigns:brand", args=[brand.uuid])
    assert 'name="ein"' in owner_client.get(url).content.decode()

    response = owner_client.post(url, _form(brand_input(display_name="New", ein="12")))
    assert response.status_code == 400
    assert "9 digits with a valid IRS prefix" in response.content.decode()
    brand.refresh_from_db()
    assert brand.display_name == "Old" and brand.ein == "12-3456789"  # nothing written

    response = owner_client.post(url, _form(brand_input(display_name="New")))
    assert response.status_code == 302 and response["Location"] == url
    brand.refresh_from_db()
    assert brand.display_name == "New"
    audit = AuditEvent.objects.filter(action="campaigns.brand.update", object_id=str(brand.uuid))
    assert audit.exists()


def test_a_registered_brand_cannot_be_edited(owner_client, business):
    brand = BrandFactory(business=business, status=Brand.Status.OK, display_name="Kept")
    response = owner_client.post(
        reverse("campaigns:brand", args=[brand.uuid]), _form(brand_input(display_name="New"))
    )
    assert response.status_code == 400
    assert "cannot be changed once it is registered" in response.content.decode()
    brand.refresh_from_db()
    assert brand.display_name == "Kept"


def test_registering_an_incomplete_brand_names_the_problem(owner_client, business):
    brand = BrandFactory(business=business, status=Brand.Status.DRAFT, ein="12")
    response = owner_client.post(reverse("campaigns:brand-register", args=[brand.uuid]))
    assert response["Location"] == reverse("campaigns:brand", args=[brand.uuid])
    message = _message(response)
    assert "EIN: The EIN must be 9 digits" in message  # the form's label, not "ein"
    brand.refresh_from_db()
    assert brand.status == Brand.Status.DRAFT


def test_a_brand_waiting_for_the_registry_says_so(owner_client, business, owner, registry):
    from campaigns import services

    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    registry.fail("POST", "/10dlc/brand", status=503)
    response = owner_client.post(reverse("campaigns:brand-register", args=[brand.uuid]))
    assert response["Location"] == reverse("campaigns:brand", args=[brand.uuid])
    assert "waiting for the registry" in _message(response)
    brand.refresh_from_db()
    assert brand.status == Brand.Status.REGISTRATION_PENDING


def test_new_campaign_without_a_brand_goes_to_the_brand_step(owner_client):
    response = owner_client.get(reverse("campaigns:campaign-new"))
    assert response["Location"] == reverse("campaigns:brand-new")


def test_a_new_campaign_starts_with_the_three_replies_in_the_brand_name(
    owner_client, business, brand
):
    page = owner_client.get(reverse("campaigns:campaign-new"))
    form = page.context["form"]
    for name in ("help_message", "optin_message", "optout_message"):
        assert form[name].value().startswith("Bright Smile: ")
    assert "STOP" in form["optin_message"].value() and "HELP" in form["optin_message"].value()
    # the STOP reply is required except for 2FA: the label does not call it optional
    html = page.content.decode()
    label = html[html.index('for="id_optout_message"') :][:120]
    assert "(optional)" not in label
    # kept as offered, with what only the business can say, the campaign passes every rule
    data = {
        k: v
        for k, v in campaign_input().items()
        if k not in ("help_message", "optin_message", "optout_message")
    }
    data.update({n: form[n].value() for n in ("help_message", "optin_message", "optout_message")})
    response = owner_client.post(
        reverse("campaigns:campaign-new"), _form({**data, "brand": str(brand.uuid)})
    )
    assert response.status_code == 302, response.context["form"].errors
    campaign = Campaign.objects.get(business=business)
    assert campaign.optout_message.startswith("Bright Smile: you are unsubscribed")
    detail = owner_client.get(response["Location"]).content.decode()
    assert "Every rule we check passes" in detail


def test_new_campaign_field_error_from_the_rules(owner_client, business, brand):
    data = _form({**campaign_input(), "brand": str(brand.uuid)})
    data["sub_usecases"] = ["MARKETING"]  # MIXED needs 2 to 5
    response = owner_client.post(reverse("campaigns:campaign-new"), data)
    assert response.status_code == 400
    assert "2 to 5" in str(response.context["form"].errors["sub_usecases"])
    assert not Campaign.objects.filter(business=business).exists()


def test_a_sole_proprietor_brand_gets_one_campaign(owner_client, business):
    brand = BrandFactory(business=business, entity_type="SOLE_PROPRIETOR", ein="")
    CampaignFactory(business=business, brand=brand, usecase="SOLE_PROPRIETOR")
    data = _form({**campaign_input(brand.display_name), "brand": str(brand.uuid)})
    data["sub_usecases"] = ["ACCOUNT_NOTIFICATION", "MARKETING"]
    response = owner_client.post(reverse("campaigns:campaign-new"), data)
    assert response.status_code == 400
    assert "only one campaign" in str(response.context["form"].errors["brand"])
    assert Campaign.objects.filter(brand=brand).count() == 1


def test_draft_edit_field_error_and_final_campaign_refused(owner_client, business, draft):
    url = reverse("campaigns:campaign-edit", args=[draft.uuid])
    page = owner_client.get(url).content.decode()
    assert "Frozen" not in page  # a draft has no frozen fields
    data = _form({**campaign_input(), "brand": str(draft.brand.uuid)})
    data["sub_usecases"] = ["MARKETING"]
    response = owner_client.post(url, data)
    assert response.status_code == 400
    assert "2 to 5" in str(response.context["form"].errors["sub_usecases"])
    draft.refresh_from_db()
    assert draft.sub_usecases == ["ACCOUNT_NOTIFICATION", "MARKETING"]

    closed = CampaignFactory(business=business, status="DEACTIVATED", name="Old name")
    response = owner_client.post(
        reverse("campaigns:campaign-edit", args=[closed.uuid]),
        {"name": "New name", "sample2": closed.sample2, "help_message": closed.help_message,
         "message_flow": closed.message_flow, "sample1": closed.sample1, "auto_renewal": "on",
         "automated": "on"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "deactivated campaign cannot be changed" in response.content.decode()
    closed.refresh_from_db()
    assert closed.name == "Old name"


def test_submitting_twice_is_a_message_not_an_error(owner_client, business):
    campaign = CampaignFactory(business=business, status="APPROVED")
    response = owner_client.post(reverse("campaigns:campaign-submit", args=[campaign.uuid]))
    assert response["Location"] == reverse("campaigns:campaign", args=[campaign.uuid])
    assert "already approved" in _message(response)


def test_submit_refused_by_the_registry_and_pending_then_retried(
    owner_client, business, owner, registry
):
    from campaigns import services

    brand = services.brand_register(
        brand=services.brand_create(business=business, actor=owner.user, **brand_input()),
        actor=owner.user,
    )
    no_url = campaign_input(
        message_flow="Patients opt in at the front desk on a paper form that states the "
        "frequency, Msg & data rates may apply, HELP and STOP."
    )
    refused = services.campaign_create(business=business, brand=brand, actor=owner.user, **no_url)
    response = owner_client.post(reverse("campaigns:campaign-submit", args=[refused.uuid]))
    assert "registry refused the campaign" in _message(response)
    refused.refresh_from_db()
    assert refused.status == "DRAFT" and refused.failure_reasons

    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user, **campaign_input(name="Second")
    )
    registry.fail("POST", "/10dlc/campaignBuilder", status=503, times=2)
    response = owner_client.post(reverse("campaigns:campaign-submit", args=[draft.uuid]))
    assert "not confirmed it yet" in _message(response)
    retry = reverse("campaigns:campaign-retry", args=[draft.uuid])
    response = owner_client.post(retry)
    assert "Still not through" in _message(response)
    response = owner_client.post(retry)
    assert "has the campaign now" in _message(response)
    draft.refresh_from_db()
    assert draft.submission == "CREATED"
    response = owner_client.post(retry)
    assert "Nothing to retry" in _message(response)


def test_appeal_with_open_problems_is_refused(owner_client, business):
    campaign = CampaignFactory(business=business, status="REJECTED", sub_usecases=["MARKETING"])
    response = owner_client.post(
        reverse("campaigns:campaign-appeal", args=[campaign.uuid]),
        {"explanation": "Fixed it."},
    )
    message = _message(response)
    assert message.startswith("Fix the fields listed")
    assert "Also used for (sub use cases): A MIXED" in message  # the label, not "sub_usecases"
    campaign.refresh_from_db()
    assert campaign.status == "REJECTED"


def test_deactivate_needs_a_reason_and_a_live_campaign(owner_client, business, draft):
    url = reverse("campaigns:campaign-deactivate", args=[draft.uuid])
    assert _message(owner_client.post(url, {"reason": ""})) == "Give a reason for deactivating."
    response = owner_client.post(url, {"reason": "Closing the shop."})
    assert "DRAFT cannot become DEACTIVATED" in _message(response)
    draft.refresh_from_db()
    assert draft.status == "DRAFT"

    approved = CampaignFactory(business=business)
    url = reverse("campaigns:campaign-deactivate", args=[approved.uuid])
    response = owner_client.post(url, {"reason": "Closing the shop."})
    assert "deactivated" in _message(response)
    approved.refresh_from_db()
    assert approved.status == "DEACTIVATED"


def test_number_provider_down_is_a_message(owner_client, business, settings):
    settings.CARRIER_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    page = owner_client.get(reverse("campaigns:numbers") + "?area_code=917").content.decode()
    assert "The number provider did not answer" in page
    response = owner_client.post(reverse("campaigns:number-provision"), {"number": "+19175550123"})
    assert "did not answer" in _message(response)
    assert not PhoneNumber.objects.filter(business=business).exists()
    number = PhoneNumberFactory(business=business, provider="simulated")
    release = reverse("campaigns:number-release", args=[number.uuid])
    response = owner_client.post(release, {"confirm": number.e164})
    assert response["Location"] == reverse("campaigns:numbers")
    assert "did not answer" in _message(response)
    number.refresh_from_db()
    assert number.status == "ACTIVE"


def test_provision_refusals_and_the_choice_of_campaign(owner_client, business, carrier, settings):
    settings.CARRIER_URL = carrier.url
    url = reverse("campaigns:number-provision")
    assert _message(owner_client.post(url, {})) == "Choose a number to rent."
    taken = PhoneNumberFactory(business=business)
    response = owner_client.post(url, {"number": taken.e164})
    assert _message(response) == "That number is already in use."

    # two approved campaigns: the number waits to be put on one
    CampaignFactory(business=business)
    e164 = carrier_number(owner_client)
    response = owner_client.post(url, {"number": e164})
    assert "Put it on an approved campaign" in _message(response)
    assert PhoneNumber.objects.get(e164=e164).campaign is None


def test_provision_keeps_the_number_when_the_one_campaign_is_full(
    owner_client, business, carrier, settings
):
    settings.CARRIER_URL = carrier.url
    brand = BrandFactory(business=business, entity_type="SOLE_PROPRIETOR", ein="")
    campaign = CampaignFactory(business=business, brand=brand, usecase="SOLE_PROPRIETOR")
    PhoneNumberFactory(business=business, campaign=campaign)
    e164 = carrier_number(owner_client)
    response = owner_client.post(reverse("campaigns:number-provision"), {"number": e164})
    message = _message(response)
    assert "is yours; not assigned: A sole proprietor campaign has one number." in message
    number = PhoneNumber.objects.get(e164=e164)
    assert number.business == business and number.campaign is None


def carrier_number(client) -> str:
    page = client.get(reverse("campaigns:numbers") + "?area_code=917").content.decode()
    return page.split("Rent ")[1].split("<")[0].strip()


def test_assign_unassign_and_refusals(owner_client, business, other_business):
    number = PhoneNumberFactory(business=business)
    url = reverse("campaigns:number-assign", args=[number.uuid])

    response = owner_client.post(url, {"campaign": ""})
    assert "is off its campaign" in _message(response)
    number.refresh_from_db()
    assert number.campaign is None

    foreign = CampaignFactory(business=other_business)
    response = owner_client.post(url, {"campaign": str(foreign.uuid)})
    assert _message(response) == "Choose an approved campaign of this business."
    number.refresh_from_db()
    assert number.campaign is None

    campaign = CampaignFactory(business=business, name="Reminders")
    number.status = "SUSPENDED"
    number.save()
    response = owner_client.post(url, {"campaign": str(campaign.uuid)})
    assert _message(response) == "A suspended number cannot be assigned."
    number.refresh_from_db()
    assert number.campaign is None


def test_foreign_brand_campaign_and_number_are_404(owner_client, other_business):
    brand = BrandFactory(business=other_business, status=Brand.Status.DRAFT)
    campaign = CampaignFactory(business=other_business)
    number = PhoneNumberFactory(business=other_business)
    for url, data in [
        (reverse("campaigns:brand", args=[brand.uuid]), _form(brand_input())),
        (reverse("campaigns:brand-register", args=[brand.uuid]), {}),
        (reverse("campaigns:campaign-submit", args=[campaign.uuid]), {}),
        (reverse("campaigns:campaign-deactivate", args=[campaign.uuid]), {"reason": "x"}),
        (reverse("campaigns:number-assign", args=[number.uuid]), {"campaign": ""}),
        (reverse("campaigns:number-release", args=[number.uuid]), {"confirm": number.e164}),
    ]:
        assert owner_client.post(url, data).status_code == 404, url
    campaign.refresh_from_db()
    number.refresh_from_db()
    assert campaign.status == "APPROVED" and number.campaign_id is not None


def test_live_validation_reports_the_form_errors_too(owner_client, brand):
    data = _form({**campaign_input(), "brand": str(brand.uuid), "privacy_policy_link": "a b"})
    data["sub_usecases"] = ["ACCOUNT_NOTIFICATION", "MARKETING"]
    body = owner_client.post(reverse("campaigns:campaign-validate"), data).json()
    assert body["fields"] == {"privacy_policy_link": ["Enter a valid URL."]}


def test_appeal_without_an_explanation_changes_nothing(owner_client, business):
    campaign = CampaignFactory(business=business, status="REJECTED")
    url = reverse("campaigns:campaign-appeal", args=[campaign.uuid])
    assert _message(owner_client.post(url, {"explanation": ""})).startswith("Say what you changed")
    campaign.refresh_from_db()
    assert campaign.status == "REJECTED"


def test_assign_puts_the_number_on_the_chosen_campaign(owner_client, business):
    number = PhoneNumberFactory(business=business, campaign=None)
    campaign = CampaignFactory(business=business, name="Reminders")
    response = owner_client.post(
        reverse("campaigns:number-assign", args=[number.uuid]), {"campaign": str(campaign.uuid)}
    )
    assert _message(response) == f"{number.e164} now sends for Reminders."
    number.refresh_from_db()
    assert number.campaign == campaign


def test_a_malformed_brand_in_the_new_campaign_link_is_ignored(owner_client, brand):
    response = owner_client.get(reverse("campaigns:campaign-new"), {"brand": "not-a-uuid"})
    assert response.status_code == 200
    assert response.context["form"].initial["brand"] == brand.uuid


def test_a_refused_submission_names_the_field_and_the_wizard_moves_on_submit(
    owner_client, business, owner
):
    """A new business's own website, not yet verified, in a sample: the refusal says which
    sample and how to fix it (it once said only "fix the fields listed", listing none, while
    the checks panel said every rule passes); once submitted, step 2 of the wizard is done."""
    from campaigns import services
    from campaigns.domains.models import BrandDomain

    BrandDomain.objects.filter(business=business).delete()  # listed, never proved
    own = business.brand_domains[0]
    brand = BrandFactory(business=business, display_name="Bright Smile")
    link = f"Bright Smile: 20% off whitening at https://{own}/book Reply STOP to opt out."
    campaign = services.campaign_create(
        business=business, brand=brand, actor=owner.user,
        **campaign_input(sample2=link, embedded_link=True),
    )  # fmt: skip
    url = reverse("campaigns:campaign", args=[campaign.uuid])
    assert "Every rule we check passes" in owner_client.get(url).content.decode()

    response = owner_client.post(reverse("campaigns:campaign-submit", args=[campaign.uuid]))
    message = _message(response)
    assert message.startswith("The campaign cannot be submitted")
    assert f"Sample message 2: {own} is listed as your domain but is not verified yet" in message
    assert "Link domains" in message
    campaign.refresh_from_db()
    assert campaign.status == "DRAFT"
    page = owner_client.get(url).content.decode()
    assert '<span aria-hidden="true">2</span> Campaign' in page

    BrandDomain.objects.create(
        business=business, domain=own, token="t", status=BrandDomain.Status.VERIFIED,
        method=BrandDomain.Method.STAFF, verified_at=business.created_at,
    )  # fmt: skip
    owner_client.post(reverse("campaigns:campaign-submit", args=[campaign.uuid]))
    campaign.refresh_from_db()
    assert campaign.status == "SUBMITTED"
    page = owner_client.get(url).content.decode()
    assert '<span aria-hidden="true">✓</span> Campaign' in page
    assert '<span aria-hidden="true">3</span> Approval' in page
