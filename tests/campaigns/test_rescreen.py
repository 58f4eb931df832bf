"""Re-screening, tried as a sender would: an approved business that changes its description,
website or brand into a prohibited industry has its sending held pending review, with the
reason, and nothing reaches the carrier; an ambiguous change goes to the staff queue;
staff approving the change release the hold, rejecting it closes the business."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Business
from campaigns import services as campaign_services
from messaging import dispatch
from messaging.models import Message
from policies import services as policies
from policies.models import BusinessScreening, PolicyHold, Strike
from tests.factories.campaigns import BrandFactory
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db
S = Message.Status
PAYDAY = "Payday loans and same-day cash advances for anyone, no credit check."
BODY = "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out."


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    return consenting_contact(business=business, number=number)


def _profile(business, **changes) -> dict:
    return {
        "display_name": business.display_name,
        "website": business.website,
        "industry_description": business.industry_description,
        "brand_domains": ", ".join(business.brand_domains),
        "time_zone": business.time_zone,
        **changes,
    }


def _send(api_client, contact) -> dict:
    response = api_client.post(
        "/api/v1/messages/",
        {"to": contact.phone_e164, "body": BODY, "kind": "transactional"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def _accepted(carrier) -> list[dict]:
    return [e for e in carrier.audit() if not e.get("duplicate")]


def test_a_prohibited_description_holds_sending_with_the_reason(
    owner_client, api_client, business, number, contact, provider
):
    assert _send(api_client, contact)["status"] == "QUEUED"  # approved, sending
    response = owner_client.post(
        reverse("portal:business"), _profile(business, industry_description=PAYDAY)
    )
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    assert "we cannot accept the business it now describes" in page and "Payday loans" in page
    business.refresh_from_db()
    assert business.industry_description == PAYDAY  # saved, and screened

    screening = BusinessScreening.objects.filter(business=business).latest("created_at")
    assert screening.decision == "block" and screening.status == BusinessScreening.Status.OPEN
    hold = PolicyHold.objects.get(business=business, active=True)
    assert "Your changed description describes a business we cannot accept" in hold.reason

    data = _send(api_client, contact)
    assert data["status"] == "HELD"
    (policy,) = [r for r in data["reasons"] if r["gate"] == "policy"]
    assert "Sending is held for review by our compliance team" in policy["message"]
    assert "Payday loans" in policy["message"]
    Message.objects.filter(status=S.QUEUED).update(status=S.CANCELED)  # the one sent before
    dispatch.drain_number(number.pk)
    assert _accepted(provider) == []  # the held message never reached the carrier


def test_an_unchanged_profile_is_not_screened_again(owner_client, business):
    before = BusinessScreening.objects.filter(business=business).count()
    response = owner_client.post(
        reverse("portal:business"), _profile(business, time_zone="America/Chicago")
    )
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.time_zone == "America/Chicago"
    assert BusinessScreening.objects.filter(business=business).count() == before


def test_an_ambiguous_change_goes_to_the_staff_queue_without_a_hold(api_client, business, contact):
    policies.business_rescreen(
        business=business, name=business.display_name,
        industry_description="Financial planning and retirement advice for families.",
        website=business.website, changed=["description"],
    )  # fmt: skip
    screening = BusinessScreening.objects.get(business=business)
    assert screening.decision == "review" and screening.status == BusinessScreening.Status.OPEN
    assert not PolicyHold.objects.filter(business=business, active=True).exists()
    assert _send(api_client, contact)["status"] == "QUEUED"


def test_a_brand_renamed_into_a_prohibited_industry_holds_sending(
    business, owner, api_client, contact
):
    brand = BrandFactory(business=business, status="DRAFT", display_name="Bright Smile")
    campaign_services.brand_update(
        brand=brand, actor=owner.user, display_name="Quick Payday Loans",
        website="https://quickpaydayloans.com",
    )  # fmt: skip
    screening = BusinessScreening.objects.filter(business=business).latest("created_at")
    assert screening.decision == "block" and "Quick Payday Loans" in screening.name
    hold = PolicyHold.objects.get(business=business, active=True)
    assert "brand name, website" in hold.reason
    assert _send(api_client, contact)["status"] == "HELD"


def test_staff_approving_the_change_release_the_hold(business, staff_user, api_client, contact):
    screening = policies.business_rescreen(
        business=business, name=business.display_name, industry_description=PAYDAY,
        website=business.website, changed=["description"],
    )  # fmt: skip
    # clearing strikes does not lift a hold that waits for this review
    strike = Strike.objects.create(business=business, signal="opt_out_rate", explanation="x")
    policies.strike_clear(strike=strike, actor=staff_user, reason="noise")
    assert PolicyHold.objects.get(business=business).active
    policies.screening_decide(
        screening=screening, approve=True, reason="It is a dental clinic; typo", actor=staff_user
    )
    assert not PolicyHold.objects.get(business=business).active
    assert AuditEvent.objects.filter(action="policy.hold.released").exists()
    assert _send(api_client, contact)["status"] == "QUEUED"


def test_staff_rejecting_the_change_close_the_business(business, staff_user):
    screening = policies.business_rescreen(
        business=business, name=business.display_name, industry_description=PAYDAY,
        website=business.website, changed=["description"],
    )  # fmt: skip
    policies.screening_decide(
        screening=screening, approve=False, reason="Payday lender", actor=staff_user
    )
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.TERMINATED


def test_a_description_cannot_be_cleared_to_dodge_the_screen(owner_client, business):
    before = business.industry_description
    response = owner_client.post(
        reverse("portal:business"), _profile(business, industry_description="  ")
    )
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.industry_description == before
