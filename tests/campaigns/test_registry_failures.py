"""The registry misbehaving or reporting odd jumps: clear errors, nothing lost, and status
moves only along allowed paths (local CSP over HTTP; webhooks and the API as clients)."""

import json
import logging
import time

import pytest
from django.urls import reverse

from campaigns import services
from campaigns.models import Brand, Campaign
from tests.campaigns.conftest import REGISTRY_WEBHOOK_SECRET, brand_input, campaign_input
from tests.campaigns.fake_registry import FakeRegistry

S = Campaign.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def tcr_brand(registry, business, owner):
    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    return services.brand_register(brand=brand, actor=owner.user)


@pytest.fixture
def submitted(tcr_brand, business, owner):
    draft = services.campaign_create(
        business=business, brand=tcr_brand, actor=owner.user, **campaign_input()
    )
    return services.campaign_submit(campaign=draft, actor=owner.user)


def _webhook(client, raw: bytes):
    return client.post(
        reverse("campaigns:registry-webhook"),
        raw,
        content_type="application/json",
        headers=FakeRegistry.signed_headers(REGISTRY_WEBHOOK_SECRET, raw, None),
    )


def _status_webhook(client, campaign_id: str, status: str, reasons=(), **extra):
    body = {
        "eventType": "CAMPAIGN_STATUS_UPDATE",
        "campaignId": campaign_id,
        "campaignStatus": status,
        "failureReasons": [{"description": r} for r in reasons],
        **extra,
    }
    return _webhook(client, json.dumps(body).encode())


def test_a_signed_webhook_that_is_not_json_is_a_400(registry, submitted, client):
    response = _webhook(client, b"campaignStatus=MNO_PROVISIONED")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The body is not JSON."
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED


def test_a_brand_webhook_for_an_unknown_brand_is_acknowledged(registry, tcr_brand, client):
    body = {"eventType": "BRAND_STATUS_UPDATE", "brandId": "B-unknown", "status": "OK"}
    response = _webhook(client, json.dumps(body).encode())
    assert response.status_code == 200 and response.json() == {"matched": False}


def test_a_jump_the_state_machine_lacks_walks_through_approved(registry, submitted, client):
    # SUBMITTED -> SUSPENDED is reported as one jump; the history shows APPROVED between
    assert _status_webhook(client, submitted.registry_campaign_id, "TCR_SUSPENDED").json() == {
        "matched": True
    }
    submitted.refresh_from_db()
    assert submitted.status == S.SUSPENDED
    steps = list(submitted.history.order_by("created_at").values_list("to_status", flat=True))
    assert steps[-2:] == [S.APPROVED, S.SUSPENDED]


def test_a_status_with_no_path_is_ignored_and_logged(registry, submitted, client, caplog):
    Campaign.objects.filter(pk=submitted.pk).update(status=S.DEACTIVATED)  # final
    with caplog.at_level(logging.WARNING, logger="campaigns.services"):
        response = _status_webhook(client, submitted.registry_campaign_id, "MNO_PROVISIONED")
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == S.DEACTIVATED
    assert "registry status APPROVED ignored from DEACTIVATED" in caplog.text


def test_new_reasons_for_the_same_rejection_are_recorded(registry, submitted, client):
    campaign_id = submitted.registry_campaign_id
    _status_webhook(client, campaign_id, "MNO_REJECTED", ["No CTA URL"])
    submitted.refresh_from_db()
    assert submitted.status == S.REJECTED and submitted.failure_reasons == ["No CTA URL"]
    history = submitted.history.count()
    _status_webhook(client, campaign_id, "MNO_REJECTED", ["No CTA URL", "Sample 2 lacks STOP"])
    submitted.refresh_from_db()
    assert submitted.failure_reasons == ["No CTA URL", "Sample 2 lacks STOP"]
    assert submitted.history.count() == history  # no transition, just the reasons


def test_a_webhook_adopts_a_campaign_registered_during_a_time_out(
    registry, tcr_brand, business, owner, client
):
    draft = services.campaign_create(
        business=business, brand=tcr_brand, actor=owner.user, **campaign_input()
    )
    registry.fail("POST", "/10dlc/campaignBuilder", delay=1.0)
    campaign = services.campaign_submit(campaign=draft, actor=owner.user)
    assert not campaign.registry_campaign_id
    time.sleep(0.6)  # the registry stores it after our time-out
    (registry_id,) = registry.campaigns
    response = _status_webhook(
        client, registry_id, "TCR_ACCEPTED", referenceId=campaign.reference_id
    )
    assert response.json() == {"matched": True}
    campaign.refresh_from_db()
    assert campaign.registry_campaign_id == registry_id
    assert campaign.submission == Campaign.Submission.CREATED
    assert campaign.status == S.REVIEW


def test_an_update_the_registry_refuses_is_saved_here_and_said_so(registry, submitted, api_client):
    registry.fail("PUT", "/10dlc/campaign/", status=500)
    new = "Bright Smile: your new sample reminder for Tue. Reply STOP to opt out."
    response = api_client.patch(
        reverse("api-campaign", kwargs={"campaign_uuid": submitted.uuid}),
        {"sample2": new},
        format="json",
    )
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "registry_unavailable"
    assert error["message"].startswith("Saved here, but the registry did not take the change")
    submitted.refresh_from_db()
    assert submitted.sample2 == new
    assert submitted.registry_error.startswith("Update not sent to the registry")
    assert registry.campaigns[submitted.registry_campaign_id]["sample2"] != new


def test_an_appeal_the_registry_does_not_take_stays_appealed_with_the_error(
    registry, submitted, api_client
):
    registry.set_campaign_status(submitted.registry_campaign_id, "MNO_REJECTED", ["No CTA"])
    campaign = services.campaign_poll(campaign=submitted)
    assert campaign.status == S.REJECTED
    registry.fail("POST", f"/10dlc/campaign/{campaign.registry_campaign_id}/appeal", status=502)
    response = api_client.post(
        reverse("api-campaign-appeal", kwargs={"campaign_uuid": campaign.uuid}),
        {"explanation": "Added the URL."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == S.APPEALED
    campaign.refresh_from_db()
    assert campaign.registry_error.startswith("Appeal not delivered")


def test_a_failed_poll_changes_nothing(registry, submitted, caplog):
    registry.fail("GET", "/10dlc/campaign/", status=500)
    with caplog.at_level(logging.WARNING, logger="campaigns.services"):
        campaign = services.campaign_poll(campaign=submitted)
    assert campaign.status == S.SUBMITTED
    assert "polling campaign" in caplog.text


def test_refreshing_a_brand_that_is_not_pending_asks_nothing(registry, tcr_brand):
    calls = len(registry.requests)
    brand = services.brand_refresh(brand=tcr_brand)
    assert brand.status == Brand.Status.OK
    assert len(registry.requests) == calls
