"""The REST API: brands, campaigns and numbers, in the one error shape, tenant-scoped."""

import pytest

from campaigns.models import Campaign, PhoneNumber
from tests.campaigns.conftest import brand_input, campaign_input
from tests.factories.accounts import LONG_EMAIL
from tests.factories.campaigns import BrandFactory, CampaignFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()["error"]
    assert set(body) == {"code", "message", "fields", "detail"}
    return body


def test_register_a_brand_and_a_campaign_over_the_api(api_client, business):
    response = api_client.post("/api/v1/brands/", brand_input(), format="json")
    assert response.status_code == 201, response.content
    brand = response.json()
    assert brand["status"] == "DRAFT" and brand["ein"] == "12-3456789"
    response = api_client.post(f"/api/v1/brands/{brand['uuid']}/register/", format="json")
    assert response.json()["status"] == "OK"

    data = {**campaign_input(), "brand": brand["uuid"]}
    response = api_client.post("/api/v1/campaigns/", data, format="json")
    assert response.status_code == 201, response.content
    campaign = response.json()
    assert campaign["status"] == "DRAFT" and campaign["kinds"] == [
        "informational", "marketing", "transactional",
    ]  # fmt: skip
    response = api_client.post(f"/api/v1/campaigns/{campaign['uuid']}/submit/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "SUBMITTED"

    status = api_client.get(f"/api/v1/campaigns/{campaign['uuid']}/status/").json()
    assert status["status"] == "SUBMITTED"
    assert [(h["from_status"], h["to_status"], h["source"]) for h in status["history"]] == [
        ("DRAFT", "SUBMITTED", "user")
    ]
    listed = api_client.get("/api/v1/campaigns/").json()["results"]
    assert [c["uuid"] for c in listed] == [campaign["uuid"]]


def test_field_errors_name_the_field_and_the_rule(api_client, business):
    body = _error(api_client.post("/api/v1/brands/", brand_input(ein="99"), format="json"), 400)
    assert body["code"] == "invalid" and "9 digits" in body["fields"]["ein"][0]
    body = _error(api_client.post("/api/v1/brands/", {"entity_type": "LLC"}, format="json"), 400)
    assert {"entity_type", "email", "vertical"} <= set(body["fields"])

    brand = BrandFactory(business=business, display_name="Bright Smile")
    data = {**campaign_input(sub_usecases=["MARKETING"]), "brand": str(brand.uuid)}
    body = _error(api_client.post("/api/v1/campaigns/", data, format="json"), 400)
    assert "2 to 5" in body["fields"]["sub_usecases"][0]

    draft = CampaignFactory(
        business=business, brand=brand, status="DRAFT",
        sample1="A reminder without the brand name, long enough.",
    )  # fmt: skip
    body = _error(api_client.post(f"/api/v1/campaigns/{draft.uuid}/submit/", format="json"), 400)
    assert body["code"] == "campaign_refused" and "brand" in body["fields"]["sample1"][0]
    assert body["detail"]["policy"]["decision"] in ("allow", "review", "block")


def test_immutable_fields_and_state_conflicts(api_client, business):
    campaign = CampaignFactory(business=business, status="SUBMITTED")
    body = _error(
        api_client.patch(
            f"/api/v1/campaigns/{campaign.uuid}/", {"usecase": "MARKETING"}, format="json"
        ),
        400,
    )
    assert "after submission" in body["fields"]["usecase"][0]
    body = _error(api_client.post(f"/api/v1/campaigns/{campaign.uuid}/submit/", format="json"), 409)
    assert body["code"] == "conflict"


def test_another_business_brand_cannot_be_used(api_client, other_business):
    foreign = BrandFactory(business=other_business)
    data = {**campaign_input(), "brand": str(foreign.uuid)}
    body = _error(api_client.post("/api/v1/campaigns/", data, format="json"), 400)
    assert "brand" in body["fields"]
    _error(api_client.get(f"/api/v1/brands/{foreign.uuid}/"), 404)


def test_numbers_assign_and_unassign(api_client, business):
    number = PhoneNumberFactory(business=business, campaign=None)
    approved = CampaignFactory(business=business)
    pending = CampaignFactory(business=business, status=Campaign.Status.REVIEW)
    url = f"/api/v1/numbers/{number.uuid}/assign/"
    body = _error(api_client.post(url, {"campaign": str(pending.uuid)}, format="json"), 409)
    assert body["code"] == "campaign_not_approved"
    response = api_client.post(url, {"campaign": str(approved.uuid)}, format="json")
    assert response.status_code == 200 and response.json()["campaign"] == str(approved.uuid)
    response = api_client.post(url, {"campaign": None}, format="json")
    assert response.json()["campaign"] is None
    listed = api_client.get("/api/v1/numbers/").json()["results"]
    assert [n["e164"] for n in listed] == [number.e164]


def test_provision_over_the_api_against_the_carrier(api_client, business, carrier, settings):
    settings.CARRIER_URL = carrier.url
    available = api_client.get("/api/v1/numbers/available/?area_code=720&limit=2").json()
    assert len(available["numbers"]) == 2
    response = api_client.post("/api/v1/numbers/", {"number": available["numbers"][0]},
                               format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    number = response.json()
    response = api_client.post(f"/api/v1/numbers/{number['uuid']}/release/", format="json")
    assert response.json()["status"] == "RELEASED"
    assert PhoneNumber.objects.get(uuid=number["uuid"]).status == "RELEASED"
    _error(api_client.get("/api/v1/numbers/available/?area_code=7"), 400)


def test_list_endpoints_do_not_grow_queries(api_client, business, django_assert_max_num_queries):
    for _ in range(3):
        PhoneNumberFactory(business=business)
    with django_assert_max_num_queries(6):
        assert len(api_client.get("/api/v1/campaigns/").json()["results"]) == 3
    with django_assert_max_num_queries(6):
        assert len(api_client.get("/api/v1/numbers/").json()["results"]) == 3
    with django_assert_max_num_queries(6):
        assert len(api_client.get("/api/v1/brands/").json()["results"]) == 3


def test_update_retry_and_appeal_answer_the_campaign(api_client, business, draft, registry):
    url = f"/api/v1/campaigns/{draft.uuid}/"
    response = api_client.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Renamed"

    pending = CampaignFactory(business=business, status="SUBMITTED", submission="FAILED")
    response = api_client.post(f"/api/v1/campaigns/{pending.uuid}/retry/", format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "SUBMITTED"

    rejected = CampaignFactory(business=business, status="REJECTED", registrar="manual")
    response = api_client.post(
        f"/api/v1/campaigns/{rejected.uuid}/appeal/", {"explanation": "Fixed."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "APPEALED"


def test_number_search_limit_and_foreign_campaign_are_field_errors(
    api_client, business, other_business
):
    body = _error(api_client.get("/api/v1/numbers/available/?area_code=720&limit=ten"), 400)
    assert body["fields"] == {"limit": ["A whole number."]}
    number = PhoneNumberFactory(business=business)
    foreign = CampaignFactory(business=other_business)
    url = f"/api/v1/numbers/{number.uuid}/assign/"
    body = _error(api_client.post(url, {"campaign": str(foreign.uuid)}, format="json"), 400)
    assert body["fields"] == {"campaign": ["No such campaign in this business."]}
    number.refresh_from_db()
    assert number.campaign.business == business


@pytest.mark.parametrize("field", ["email", "business_contact_email"])
def test_an_overlong_brand_email_is_a_400_naming_it(api_client, business, field):
    from campaigns.models import Brand

    response = api_client.post(
        "/api/v1/brands/", {**brand_input(), field: LONG_EMAIL}, format="json"
    )
    assert field in _error(response, 400)["fields"]
    assert not Brand.objects.filter(business=business).exists()


def test_a_brand_with_the_longest_names_is_screened_whole(api_client, business):
    """A new brand screens the business again on its legal and display names together; two
    names of the 255 characters each allows were a 500 when the screening was recorded."""
    legal, display = "L" * 254 + "x", "D" * 254 + "y"
    data = {**brand_input(), "company_name": legal, "display_name": display}
    response = api_client.post("/api/v1/brands/", data, format="json")
    assert response.status_code == 201, response.content
    screening = business.screenings.order_by("-id").first()
    assert screening is not None and legal in screening.name and display in screening.name
