"""Numbers through Twilio: search, buy (inbound webhook set), join the campaign's messaging
service, leave it, release — with the official ``twilio`` client against the local stand-in
of those endpoints (devtools/fake_twilio.py), from the services, the API, the portal and the
admin. Refusals are field errors; outages are 503s; every change is audited."""

import pytest

from accounts.errors import ValidationFailed
from accounts.models import AuditEvent
from campaigns import services
from campaigns.models import Campaign, PhoneNumber
from devtools.fake_twilio import FakeTwilio
from tests.factories.campaigns import BrandFactory, CampaignFactory

pytestmark = pytest.mark.django_db
SID = "AC" + "1" * 32
HOOKS = "https://hooks.example.com"


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio()
    settings.MESSAGING_PROVIDER = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "twilio-test-auth-token-0123456789"
    settings.TWILIO_API_BASE_URL = fake.url
    settings.MESSAGING_WEBHOOK_BASE_URL = HOOKS
    yield fake
    fake.stop()


def _actions(number):
    return list(
        AuditEvent.objects.filter(object_id=str(number.uuid))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_search_buy_attach_release_through_twilio(twilio, business, owner):
    available = services.phone_number_search(business=business, area_code="303", limit=3)
    assert len(available) == 3 and all(n.startswith("+1303") for n in available)
    search = twilio.requests[-1]
    assert search["path"] == f"/2010-04-01/Accounts/{SID}/AvailablePhoneNumbers/US/Local.json"
    assert search["query"]["AreaCode"] == "303" and search["query"]["SmsEnabled"] == "true"
    assert search["auth"].startswith("Basic ")

    number = services.phone_number_provision(business=business, e164=available[0], actor=owner.user)
    assert number.provider == "twilio" and number.provider_id.startswith("PN")
    assert set(number.capabilities) >= {"sms", "mms"}
    held = twilio.owned[number.provider_id]
    assert held["phone_number"] == available[0] and held["account_sid"] == SID
    assert held["sms_url"] == f"{HOOKS}/webhooks/twilio/inbound/"  # inbound texts reach us
    assert available[0] not in services.phone_number_search(
        business=business, area_code="303", limit=3
    )

    campaign = CampaignFactory(business=business)
    assert campaign.status == Campaign.Status.APPROVED and not campaign.messaging_service_sid
    services.phone_number_assign(number=number, campaign=campaign, actor=owner.user)
    campaign.refresh_from_db()
    service = twilio.services[campaign.messaging_service_sid]
    assert number.provider_id in service["numbers"]
    assert service["inbound_request_url"] == f"{HOOKS}/webhooks/twilio/inbound/"
    assert service["status_callback"] == f"{HOOKS}/webhooks/twilio/status/"
    # a second number joins the same service (one per campaign)
    second = services.phone_number_provision(business=business, e164=available[1], actor=owner.user)
    services.phone_number_assign(number=second, campaign=campaign, actor=owner.user)
    assert len(twilio.services) == 1 and second.provider_id in service["numbers"]

    services.phone_number_unassign(number=second, actor=owner.user)
    assert second.provider_id not in service["numbers"]

    released = services.phone_number_release(number=number, actor=owner.user)
    assert released.status == PhoneNumber.Status.RELEASED
    assert number.provider_id not in twilio.owned and number.provider_id not in service["numbers"]
    assert _actions(number) == [
        "campaigns.number.provision",
        "campaigns.number.assign",
        "campaigns.number.release",
    ]
    # releasing a number Twilio no longer has is what releasing wants
    twilio.owned.pop(second.provider_id)
    assert services.phone_number_release(number=second, actor=None).status == "RELEASED"


def test_twilio_refusals_are_field_errors_and_outages_503(twilio, business, other_business):
    with pytest.raises(ValidationFailed) as exc:
        services.phone_number_search(business=business, area_code="011", limit=3)
    assert "21451" in exc.value.fields["area_code"][0]

    twilio.hold("+13035550100")  # someone else's
    with pytest.raises(ValidationFailed) as exc:
        services.phone_number_provision(business=business, e164="+13035550100", actor=None)
    assert "21422" in exc.value.fields["number"][0]
    assert not PhoneNumber.objects.exists()

    twilio.fail_next = [503]
    with pytest.raises(services.RegistryUnavailable):
        services.phone_number_provision(business=business, e164="+13035550101", actor=None)
    assert not PhoneNumber.objects.exists()

    # a number already in another messaging service cannot join this campaign's: nothing
    # changes here
    number = services.phone_number_provision(business=business, e164="+13035550102", actor=None)
    other = CampaignFactory(business=business)
    services.phone_number_assign(number=number, campaign=other, actor=None)
    services.phone_number_unassign(number=number, actor=None)
    twilio.services[Campaign.objects.get(pk=other.pk).messaging_service_sid]["numbers"].add(
        number.provider_id
    )
    campaign = CampaignFactory(business=business)
    with pytest.raises(ValidationFailed) as exc:
        services.phone_number_assign(number=number, campaign=campaign, actor=None)
    assert "21712" in exc.value.fields["campaign"][0]
    number.refresh_from_db()
    assert number.campaign is None
    assert not Campaign.objects.get(pk=campaign.pk).messaging_service_sid


def test_api_buys_and_releases_and_shows_refusals_by_field(twilio, api_client, business):
    response = api_client.get("/api/v1/numbers/available/?area_code=415&limit=2")
    assert response.status_code == 200, response.content
    e164 = response.json()["numbers"][0]
    response = api_client.post("/api/v1/numbers/", {"number": e164}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["e164"] == e164
    assert twilio.by_number(e164)["sms_url"] == f"{HOOKS}/webhooks/twilio/inbound/"

    twilio.hold("+14155550199")
    response = api_client.post("/api/v1/numbers/", {"number": "+14155550199"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "21422" in error["fields"]["number"][0]

    response = api_client.get("/api/v1/numbers/available/?area_code=199")
    assert response.status_code == 400 and "area_code" in response.json()["error"]["fields"]

    response = api_client.post(f"/api/v1/numbers/{body['uuid']}/release/", format="json")
    assert response.status_code == 200 and response.json()["status"] == "RELEASED"
    assert twilio.by_number(e164) is None


def test_portal_shows_the_providers_refusal_next_to_the_field(twilio, owner_client, business):
    page = owner_client.get("/app/numbers/?area_code=011")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="id_area_code_error"' in html and "21451" in html

    page = owner_client.get("/app/numbers/?area_code=720")
    offered = page.context["available"]
    twilio.hold(offered[0])  # taken at Twilio while the page was open
    response = owner_client.post("/app/numbers/provision/?area_code=720", {"number": offered[0]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "21422" in html and offered[0] in html
    response = owner_client.post(
        "/app/numbers/provision/?area_code=720", {"number": offered[1]}, follow=True
    )
    assert PhoneNumber.objects.get(e164=offered[1]).provider == "twilio"


def test_staff_add_a_number_bought_elsewhere_with_the_same_checks(
    twilio, staff_client, business, other_business
):
    ours = twilio.hold("+12125550123", account=SID)
    campaign = CampaignFactory(business=business)
    url = "/admin/campaigns/phonenumber/add/"
    assert staff_client.get(url).status_code == 200

    # not in our Twilio account: refused on the number field, nothing recorded
    response = staff_client.post(url, {"business": business.pk, "e164": "+12125550999"})
    assert response.status_code == 200
    assert "no such number" in str(response.context["adminform"].form.errors["e164"])
    # a campaign of another business, or one not approved: refused on the campaign field
    foreign = CampaignFactory(business=other_business)
    response = staff_client.post(
        url, {"business": business.pk, "e164": "+12125550123", "campaign": foreign.pk}
    )
    assert "another business" in str(response.context["adminform"].form.errors["campaign"])
    draft = CampaignFactory(
        business=business, status=Campaign.Status.DRAFT, brand=BrandFactory(business=business)
    )
    response = staff_client.post(
        url, {"business": business.pk, "e164": "+12125550123", "campaign": draft.pk}
    )
    assert "not approved" in str(response.context["adminform"].form.errors["campaign"])
    assert not PhoneNumber.objects.exists()

    response = staff_client.post(
        url, {"business": business.pk, "e164": "+1 212 555 0123", "campaign": campaign.pk}
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    number = PhoneNumber.objects.get(e164="+12125550123")
    assert (number.provider, number.provider_id, number.campaign_id) == (
        "twilio",
        ours,
        campaign.pk,
    )
    assert twilio.owned[ours]["sms_url"] == f"{HOOKS}/webhooks/twilio/inbound/"
    campaign.refresh_from_db()
    assert ours in twilio.services[campaign.messaging_service_sid]["numbers"]
    assert _actions(number) == ["campaigns.number.add_existing", "campaigns.number.assign"]
    # the same number again: already in use
    response = staff_client.post(url, {"business": business.pk, "e164": "+12125550123"})
    assert "Already in use" in str(response.context["adminform"].form.errors["e164"])


def test_an_unreachable_twilio_is_a_503_and_records_nothing(twilio, business, settings):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(services.RegistryUnavailable):
        services.phone_number_search(business=business, area_code="303", limit=3)
    with pytest.raises(services.RegistryUnavailable):
        services.phone_number_provision(business=business, e164="+13035550100", actor=None)
    assert not PhoneNumber.objects.exists()


def test_a_number_added_by_hand_on_the_simulated_carrier(business, settings):
    settings.MESSAGING_PROVIDER = "simulated"
    campaign = CampaignFactory(business=business)
    number = services.phone_number_add_existing(
        business=business, e164="+13125550777", campaign=campaign, actor=None
    )
    assert (number.provider, number.provider_id, number.campaign_id) == (
        "simulated",
        "",
        campaign.pk,
    )
    with pytest.raises(ValidationFailed):
        services.phone_number_add_existing(
            business=business, e164="+44 20 7946 0000", campaign=None, actor=None
        )
