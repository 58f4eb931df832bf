"""The tcr registrar against a local HTTP server that speaks the CSP's 10DLC API."""

import json
import time

import pytest
from django.urls import reverse

from campaigns import services, tasks
from campaigns.models import Brand, Campaign
from tests.campaigns.conftest import REGISTRY_WEBHOOK_SECRET, brand_input, campaign_input
from tests.campaigns.fake_registry import FakeRegistry

S = Campaign.Status
SECRET = REGISTRY_WEBHOOK_SECRET
pytestmark = pytest.mark.django_db


@pytest.fixture
def tcr_brand(registry, business, owner):
    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    return services.brand_register(brand=brand, actor=owner.user)


@pytest.fixture
def tcr_draft(tcr_brand, business, owner):
    return services.campaign_create(
        business=business, brand=tcr_brand, actor=owner.user, **campaign_input()
    )


def test_brand_create_sends_tcr_names_and_records_the_answer(registry, tcr_brand):
    assert tcr_brand.status == Brand.Status.OK
    assert tcr_brand.identity_status == "VERIFIED" and tcr_brand.vetting_score == 75
    (sent,) = [b for m, p, b in registry.requests if m == "POST" and p == "/10dlc/brand"]
    assert sent["entityType"] == "PRIVATE_PROFIT" and sent["displayName"] == "Bright Smile"
    assert sent["postalCode"] == "62701" and sent["ein"] == "12-3456789"
    assert sent["referenceId"] == tcr_brand.reference_id
    assert tcr_brand.registry_brand_id in registry.brands


def test_brand_time_out_then_poll_adopts_it_once(registry, business, owner):
    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    registry.fail("POST", "/10dlc/brand", delay=1.0)
    brand = services.brand_register(brand=brand, actor=owner.user)
    assert brand.status == Brand.Status.REGISTRATION_PENDING
    assert "did not answer" in brand.registry_error
    time.sleep(0.6)  # let the server finish storing it
    brand = services.brand_refresh(brand=brand)
    assert brand.status == Brand.Status.OK and brand.registry_brand_id
    assert len(registry.brands) == 1 and registry.calls("POST", "/10dlc/brand") == 1


def test_campaign_submit_creates_with_reference_id(registry, tcr_draft, owner):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    assert campaign.status == S.SUBMITTED and campaign.registrar == "tcr"
    assert campaign.submission == Campaign.Submission.CREATED
    assert campaign.registry_status == "TCR_PENDING"
    sent = registry.campaigns[campaign.registry_campaign_id]
    assert sent["referenceId"] == campaign.reference_id
    assert sent["brandId"] == tcr_draft.brand.registry_brand_id
    assert sent["subUsecases"] == ["ACCOUNT_NOTIFICATION", "MARKETING"]
    assert sent["optoutKeywords"] == "STOP,END,QUIT" and sent["subscriberOptin"] is True
    assert "automated" not in sent and "name" not in sent  # ours, not TCR's


def test_polling_follows_the_registry_to_approved(registry, tcr_draft, owner):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    registry.set_campaign_status(campaign.registry_campaign_id, "MNO_PENDING")
    assert services.campaign_poll(campaign=campaign).status == S.REVIEW
    registry.set_campaign_status(campaign.registry_campaign_id, "MNO_PROVISIONED")
    tasks.campaigns_poll_registry()
    campaign.refresh_from_db()
    assert campaign.status == S.APPROVED and campaign.registry_status == "MNO_PROVISIONED"
    sources = list(campaign.history.order_by("id").values_list("to_status", "source"))
    assert sources == [(S.SUBMITTED, "user"), (S.REVIEW, "registry"), (S.APPROVED, "registry")]


def test_time_out_does_not_register_twice(registry, tcr_draft, owner):
    registry.fail("POST", "/10dlc/campaignBuilder", delay=1.0)
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    assert campaign.status == S.SUBMITTED
    assert campaign.submission == Campaign.Submission.PENDING
    assert "did not answer in time" in campaign.registry_error
    time.sleep(0.6)
    campaign = services.campaign_retry(campaign=campaign, actor=owner.user)
    assert campaign.submission == Campaign.Submission.CREATED
    assert len(registry.campaigns) == 1
    assert registry.calls("POST", "/10dlc/campaignBuilder") == 1
    assert registry.calls("GET", "/10dlc/campaign") == 1  # looked up by referenceId first
    with pytest.raises(services.Conflict):
        services.campaign_retry(campaign=campaign, actor=owner.user)


def test_duplicate_reference_id_is_adopted(registry, tcr_draft, owner):
    """Even without a look-up first, the registry's 409 leads to the existing campaign."""
    registry.fail("POST", "/10dlc/campaignBuilder", delay=1.0)
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    time.sleep(0.6)
    Campaign.objects.filter(pk=campaign.pk).update(registry_attempts=0)  # as if never tried
    campaign.refresh_from_db()
    campaign = services.campaign_retry(campaign=campaign, actor=owner.user)
    assert campaign.submission == Campaign.Submission.CREATED and len(registry.campaigns) == 1
    assert registry.calls("POST", "/10dlc/campaignBuilder") == 2


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_leave_a_retryable_state(registry, tcr_draft, owner, status):
    registry.fail("POST", "/10dlc/campaignBuilder", status=status)
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    assert campaign.status == S.SUBMITTED and campaign.submission == Campaign.Submission.FAILED
    assert f"answered {status}" in campaign.registry_error
    assert not registry.campaigns
    campaign = services.campaign_retry(campaign=campaign, actor=owner.user)
    assert campaign.submission == Campaign.Submission.CREATED and len(registry.campaigns) == 1


def test_wrong_api_key_is_a_registry_error_not_a_crash(registry, tcr_draft, owner, settings):
    settings.CAMPAIGNS_TCR_API_KEY = "wrong"
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    assert campaign.submission == Campaign.Submission.FAILED and "401" in campaign.registry_error


def test_unreachable_registry_is_retryable(registry, tcr_draft, owner, settings):
    settings.CAMPAIGNS_TCR_URL = "http://127.0.0.1:9/v2"  # discard port: nothing listens
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    assert campaign.submission == Campaign.Submission.FAILED
    assert "Could not reach" in campaign.registry_error
    settings.CAMPAIGNS_TCR_URL = registry.url
    tasks.campaigns_poll_registry()  # the poller finishes the hand-off
    campaign.refresh_from_db()
    assert campaign.submission == Campaign.Submission.CREATED and len(registry.campaigns) == 1


def test_registry_refusal_returns_the_campaign_to_draft_with_reasons(
    registry, tcr_brand, business, owner
):
    data = campaign_input(
        message_flow="Patients opt in at the front desk on a paper form that states the "
        "frequency, Msg & data rates may apply, HELP and STOP."
    )
    draft = services.campaign_create(business=business, brand=tcr_brand, actor=owner.user, **data)
    campaign = services.campaign_submit(campaign=draft, actor=owner.user)
    assert campaign.status == S.DRAFT
    assert campaign.failure_reasons == [
        "Registry: messageFlow must include a URL where the call to action can be seen"
    ]
    last = campaign.history.first()
    assert (last.from_status, last.to_status, last.source) == (S.SUBMITTED, S.DRAFT, "registry")


def test_updates_after_submission_reach_the_registry(registry, tcr_draft, owner):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    new = "Bright Smile: your new sample reminder for Tue. Reply STOP to opt out."
    services.campaign_update(campaign=campaign, actor=owner.user, sample2=new)
    assert registry.campaigns[campaign.registry_campaign_id]["sample2"] == new


def test_rejection_and_appeal_through_the_registry(registry, tcr_draft, owner):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    registry.set_campaign_status(campaign.registry_campaign_id, "MNO_REJECTED", ["No CTA URL"])
    campaign = services.campaign_poll(campaign=campaign)
    assert campaign.status == S.REJECTED and campaign.failure_reasons == ["No CTA URL"]
    campaign = services.campaign_appeal(
        campaign=campaign, explanation="Added the URL.", actor=owner.user
    )
    assert campaign.status == S.REVIEW  # APPEALED, then the registry accepted it for review
    assert registry.campaigns[campaign.registry_campaign_id]["appealReason"] == "Added the URL."


def _webhook(client, body: dict, *, secret=SECRET, timestamp=None):
    raw = json.dumps(body).encode()
    headers = FakeRegistry.signed_headers(secret, raw, timestamp)
    return client.post(
        reverse("campaigns:registry-webhook"),
        raw,
        content_type="application/json",
        headers=headers,
    )


def test_signed_status_webhook_moves_the_campaign(registry, tcr_draft, owner, client):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    body = {
        "eventType": "CAMPAIGN_STATUS_UPDATE",
        "campaignId": campaign.registry_campaign_id,
        "campaignStatus": "MNO_PROVISIONED",
    }
    response = _webhook(client, body)
    assert response.status_code == 200 and response.json() == {"matched": True}
    campaign.refresh_from_db()
    assert campaign.status == S.APPROVED
    assert _webhook(client, {**body, "campaignId": "C-unknown"}).json() == {"matched": False}


@pytest.mark.parametrize("tamper", ["wrong-secret", "stale", "no-headers", "body-changed"])
def test_unsigned_or_tampered_webhooks_are_refused(registry, tcr_draft, owner, client, tamper):
    campaign = services.campaign_submit(campaign=tcr_draft, actor=owner.user)
    body = json.dumps(
        {"campaignId": campaign.registry_campaign_id, "campaignStatus": "MNO_PROVISIONED"}
    ).encode()
    headers = FakeRegistry.signed_headers(
        "other" if tamper == "wrong-secret" else SECRET,
        body,
        time.time() - 3600 if tamper == "stale" else None,
    )
    if tamper == "no-headers":
        headers = {}
    if tamper == "body-changed":
        body = body.replace(b"MNO_PROVISIONED", b"TCR_SUSPENDED")
    response = client.post(
        reverse("campaigns:registry-webhook"), body, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    campaign.refresh_from_db()
    assert campaign.status == S.SUBMITTED


def test_brand_status_webhook(registry, tcr_brand, client):
    body = {
        "eventType": "BRAND_STATUS_UPDATE",
        "brandId": tcr_brand.registry_brand_id,
        "status": "REGISTRATION_FAILED",
        "identityStatus": "UNVERIFIED",
        "failureReasons": [{"description": "EIN does not match the legal name"}],
    }
    assert _webhook(client, body).json() == {"matched": True}
    tcr_brand.refresh_from_db()
    assert tcr_brand.status == Brand.Status.REGISTRATION_FAILED
    assert tcr_brand.failure_reasons == ["EIN does not match the legal name"]
