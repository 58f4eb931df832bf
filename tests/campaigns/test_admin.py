"""Staff review queue in the Django admin: approve, reject and suspend, with reasons, audited."""

import pytest

from accounts.models import AuditEvent
from campaigns.models import Campaign
from tests.factories.accounts import UserFactory
from tests.factories.campaigns import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    # the admin may require a second factor (django-otp); mark the session verified if so
    try:
        from django_otp.plugins.otp_static.models import StaticDevice

        device = StaticDevice.objects.create(user=staff, name="test")
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    except ImportError:  # pragma: no cover - the admin has no second factor then
        pass
    client.staff = staff
    return client


def _act(client, url, action, campaign, reason=None):
    data = {"action": action, "_selected_action": [campaign.pk]}
    if reason is not None:
        data.update({"apply": "1", "reason": reason})
    return client.post(url, data)


def test_review_queue_lists_waiting_manual_campaigns(staff_client, business):
    waiting = CampaignFactory(business=business, status="SUBMITTED", name="Waiting one")
    CampaignFactory(business=business, status="APPROVED", name="Done one")
    CampaignFactory(business=business, status="SUBMITTED", registrar="tcr", name="At the registry")
    page = staff_client.get("/admin/campaigns/campaignreview/").content.decode()
    assert "Waiting one" in page and "Done one" not in page and "At the registry" not in page
    assert staff_client.get(f"/admin/campaigns/campaign/{waiting.pk}/change/").status_code == 200


def test_approve_reject_suspend_with_reasons(staff_client, business):
    url = "/admin/campaigns/campaign/"
    campaign = CampaignFactory(business=business, status="SUBMITTED")
    # reject asks for a reason first, and refuses an empty one
    page = _act(staff_client, url, "reject", campaign)
    assert page.status_code == 200 and b"give a reason" in page.content
    _act(staff_client, url, "reject", campaign, reason="")
    campaign.refresh_from_db()
    assert campaign.status == "SUBMITTED"
    _act(staff_client, url, "reject", campaign, reason="Samples do not match the use case.")
    campaign.refresh_from_db()
    assert campaign.status == "REJECTED"
    assert campaign.failure_reasons == ["Samples do not match the use case."]

    other = CampaignFactory(business=business, status="SUBMITTED")
    _act(staff_client, url, "approve", other, reason="")
    other.refresh_from_db()
    assert other.status == "APPROVED"
    _act(staff_client, url, "suspend", other, reason="Complaints about unsolicited texts.")
    other.refresh_from_db()
    assert other.status == "SUSPENDED"
    change = other.history.first()
    assert change.actor == staff_client.staff and change.source == "staff"
    events = AuditEvent.objects.filter(object_id=str(other.uuid)).values_list("action", "actor")
    assert ("campaigns.campaign.suspended", staff_client.staff.pk) in list(events)


def test_an_impossible_move_is_reported_not_applied(staff_client, business):
    campaign = CampaignFactory(business=business, status=Campaign.Status.EXPIRED)
    response = _act(staff_client, "/admin/campaigns/campaign/", "approve", campaign, reason="")
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "EXPIRED"


def test_staff_suspend_a_number_and_it_stops_sending(staff_client, business):
    from campaigns import selectors
    from tests.factories.campaigns import PhoneNumberFactory

    number = PhoneNumberFactory(business=business)
    staff_client.post(
        "/admin/campaigns/phonenumber/",
        {"action": "suspend_number", "_selected_action": [number.pk]},
    )
    number.refresh_from_db()
    assert number.status == "SUSPENDED"
    permission = selectors.number_send_permission(
        business=business, number=number, kind="marketing", automated=False
    )
    assert permission.code == "number_inactive"
    assert AuditEvent.objects.filter(
        action="campaigns.number.suspended", object_id=str(number.uuid)
    ).exists()
