"""Compliance staff in the admin: publishing policy versions, the penalty ledger,
restrictions (campaign suspension through the campaigns service), lifting, and the
business's compliance history page."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, Business
from campaigns.models import Campaign, CampaignStatusChange
from campaigns.selectors import number_send_permission
from policies import penalties
from policies.models import CarrierPenalty, PolicyDocument, Restriction, Strike
from tests.factories.campaigns import PhoneNumberFactory

pytestmark = pytest.mark.django_db

RESTRICTION_ADD = "/admin/policies/restriction/add/"
RESTRICTION_LIST = "/admin/policies/restriction/"


def _history_url(business):
    return f"/admin/policies/restriction/business/{business.uuid}/history/"


def _restriction_post(business, **over):
    data = {
        "business": business.pk,
        "kind": "THROUGHPUT",
        "limit": "10",
        "window": "60",
        "campaign": "",
        "penalty": "",
        "reason": "Carrier complaint about volume.",
        "remedy": "Clean your list.",
        "ends_at_0": "",
        "ends_at_1": "",
    }
    data.update(over)
    return data


def test_staff_publishes_a_new_version_and_members_are_told(
    staff_client, members, django_capture_on_commit_callbacks
):
    effective = timezone.now() + timedelta(days=14)
    response = staff_client.post(
        "/admin/policies/policydocument/add/",
        {
            "kind": "terms",
            "version": "2026-12",
            "title": "Terms of service",
            "summary": "Carrier fines may be passed on.",
            "body": "# Fees\n\nCarrier fines caused by your messages may be passed on.",
            "effective_at_0": effective.strftime("%Y-%m-%d"),
            "effective_at_1": effective.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    doc = PolicyDocument.objects.get(kind="terms", version="2026-12")
    assert doc.published_at is None
    assert staff_client.get("/legal/terms/v/2026-12/").status_code == 404  # a draft
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/policies/policydocument/",
            {"action": "publish", "_selected_action": [doc.pk]},
            follow=True,
        )
    assert "published; 5 member(s) are notified" in response.content.decode()
    doc.refresh_from_db()
    assert doc.published_at and doc.published_by == staff_client.staff
    assert len(mail.outbox) == 5 and doc.notified_count == 5  # one member of each role
    assert staff_client.get("/legal/terms/v/2026-12/").status_code == 200
    # published: read-only in the admin, not deletable
    page = staff_client.get(f"/admin/policies/policydocument/{doc.pk}/change/").content.decode()
    assert 'name="body"' not in page
    assert staff_client.post(f"/admin/policies/policydocument/{doc.pk}/delete/", {"post": "yes"})
    assert PolicyDocument.objects.filter(pk=doc.pk).exists()


def test_publishing_a_past_date_is_refused_with_the_reason(staff_client):
    doc = PolicyDocument.objects.create(
        kind="privacy",
        version="0.9",
        title="Privacy policy",
        body="Old.",
        effective_at=timezone.now() - timedelta(days=3),
    )
    response = staff_client.post(
        "/admin/policies/policydocument/",
        {"action": "publish", "_selected_action": [doc.pk]},
        follow=True,
    )
    assert "not published" in response.content.decode()
    doc.refresh_from_db()
    assert doc.published_at is None


def test_staff_records_a_carrier_fine_and_the_form_refuses_bad_input(staff_client, business):
    data = {
        "business": business.pk,
        "kind": "FINE",
        "carrier": "Verizon",
        "carrier_reference": "VZ-2026-4411",
        "amount": "2000.00",
        "currency": "USD",
        "incurred_on": "2026-11-21",
        "description": "Unregistered traffic on a 10DLC number.",
        "evidence": "Verizon notice VZ-2026-4411 attached to the ticket.",
        "offsets": "",
    }
    bad = staff_client.post("/admin/policies/carrierpenalty/add/", {**data, "amount": "0"})
    assert bad.status_code == 200 and "more than zero" in bad.content.decode()
    response = staff_client.post("/admin/policies/carrierpenalty/add/", data)
    assert response.status_code == 302
    entry = CarrierPenalty.objects.get(carrier_reference="VZ-2026-4411")
    assert entry.amount == Decimal("2000.00") and entry.recorded_by == staff_client.staff
    assert AuditEvent.objects.filter(action="policies.penalty.fine", business=business).exists()
    # a ledger: no editing, no deleting
    change = staff_client.post(
        f"/admin/policies/carrierpenalty/{entry.pk}/change/", {**data, "amount": "1.00"}
    )
    assert change.status_code == 403
    assert (
        staff_client.post(
            f"/admin/policies/carrierpenalty/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    entry.refresh_from_db()
    assert entry.amount == Decimal("2000.00")


def test_staff_applies_reduced_throughput(staff_client, business):
    response = staff_client.post(RESTRICTION_ADD, _restriction_post(business))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert penalties.rate_limit_for(business_id=business.pk) == (10, 60.0)
    row = Restriction.objects.get(business=business)
    assert row.created_by == staff_client.staff
    assert AuditEvent.objects.filter(action="policies.restriction.apply.throughput").exists()
    not_a_reduction = staff_client.post(RESTRICTION_ADD, _restriction_post(business, limit="80"))
    assert not_a_reduction.status_code == 200 and "Not a reduction" in (
        not_a_reduction.content.decode()
    )


def test_campaign_suspension_goes_through_the_campaigns_service_and_is_lifted_back(
    staff_client, business, other_business
):
    number = PhoneNumberFactory(business=business)
    campaign = number.campaign
    assert number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    ).allowed
    theirs = PhoneNumberFactory(business=other_business).campaign
    wrong = staff_client.post(
        RESTRICTION_ADD,
        _restriction_post(business, kind="CAMPAIGN_SUSPENSION", campaign=theirs.pk),
    )
    assert wrong.status_code == 200 and "another business" in wrong.content.decode()
    response = staff_client.post(
        RESTRICTION_ADD,
        _restriction_post(
            business,
            kind="CAMPAIGN_SUSPENSION",
            campaign=campaign.pk,
            limit="",
            window="",
            reason="Carrier suspended the campaign: messages do not match the use case.",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SUSPENDED
    change = CampaignStatusChange.objects.get(campaign=campaign, to_status="SUSPENDED")
    assert change.source == "staff" and change.actor == staff_client.staff
    row = Restriction.objects.get(kind="CAMPAIGN_SUSPENSION")
    assert row.campaign_uuid == campaign.uuid
    number.refresh_from_db()
    refused = number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    )
    assert not refused.allowed
    # lift: a reason is asked, then the campaign is reinstated through campaigns
    ask = staff_client.post(RESTRICTION_LIST, {"action": "lift", "_selected_action": [row.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    staff_client.post(
        RESTRICTION_LIST,
        {
            "action": "lift",
            "_selected_action": [row.pk],
            "apply": "1",
            "reason": "Samples fixed.",
        },
    )
    row.refresh_from_db()
    campaign.refresh_from_db()
    assert row.lifted_at and row.lift_reason == "Samples fixed."
    assert campaign.status == Campaign.Status.APPROVED
    assert AuditEvent.objects.filter(
        action="policies.restriction.lift.campaign_suspension"
    ).exists()


def test_account_suspension_from_the_admin(staff_client, business):
    response = staff_client.post(
        RESTRICTION_ADD,
        _restriction_post(business, kind="ACCOUNT_SUSPENSION", limit="", window=""),
    )
    assert response.status_code == 302
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.SUSPENDED
    assert business.vetting_reason == "Carrier complaint about volume."


def test_lift_without_a_reason_changes_nothing(staff_client, business, staff_user):
    row = penalties.restriction_apply(
        business=business, kind="THROUGHPUT", limit=5, window=60, reason="r", remedy="m",
        actor=staff_user,
    )  # fmt: skip
    response = staff_client.post(
        RESTRICTION_LIST,
        {"action": "lift", "_selected_action": [row.pk], "apply": "1", "reason": " "},
    )
    assert "A reason is required" in response.content.decode()
    row.refresh_from_db()
    assert row.lifted_at is None


def test_compliance_history_page_shows_everything_for_one_business(
    staff_client, business, other_business, staff_user
):
    from accounts.services import business_set_vetting
    from messaging.models import Message

    number = PhoneNumberFactory(business=business)
    Strike.objects.create(business=business, signal="opt_out_rate", explanation="Opt-outs 9 %")
    penalties.penalty_record(
        business=business, kind="FINE", carrier="AT&T", carrier_reference="ATT-REF-1",
        amount=Decimal("500"), incurred_on=timezone.now().date(), description="Spam complaint",
        evidence="notice", actor=staff_user,
    )  # fmt: skip
    penalties.penalty_record(
        business=other_business, kind="FEE", carrier="AT&T", carrier_reference="OTHER-REF",
        amount=Decimal("5"), incurred_on=timezone.now().date(), description="theirs",
        actor=staff_user,
    )  # fmt: skip
    penalties.restriction_apply(
        business=business, kind="THROUGHPUT", limit=5, window=60, reason="Volume spike",
        remedy="Slow down", actor=staff_user,
    )  # fmt: skip
    business_set_vetting(business=business, to_status="SUSPENDED", reason="Fine unpaid",
                         actor=staff_user)  # fmt: skip
    for status in ("HELD", "HELD", "BLOCKED"):
        Message.objects.create(
            business=business, from_number=number, to_phone="+13125550100", body="x",
            kind="marketing", status=status, direction="outbound",
        )  # fmt: skip
    page = staff_client.get(_history_url(business))
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "ATT-REF-1",
        "Volume spike",
        "Opt-outs 9 %",
        "Fine unpaid",
        'id="held-count">2<',
        'id="blocked-count">1<',
        "policies.restriction.apply.throughput",
        "business.vetting.suspended",
        "APPROVED",  # the campaign's history, from the factory's campaign
    ):
        assert text in html, text
    assert "OTHER-REF" not in html
    # linked from the Business admin page
    change = staff_client.get(f"/admin/accounts/business/{business.pk}/change/").content.decode()
    assert _history_url(business) in change
    unknown = "/admin/policies/restriction/business/00000000-0000-4000-8000-000000000000/history/"
    assert staff_client.get(unknown).status_code == 404


def test_history_page_requires_staff_with_a_second_factor(client, login, owner, business):
    response = client.get(_history_url(business))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    login(client, owner)
    response = client.get(_history_url(business))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    from tests.factories.accounts import UserFactory

    staff_without_otp = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff_without_otp)
    response = client.get(_history_url(business))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
