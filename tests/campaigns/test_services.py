"""Brands, campaigns and their states, numbers: the services, on PostgreSQL."""

import pytest

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import AuditEvent
from campaigns import services
from campaigns.models import Brand, Campaign, CampaignStatusChange, PhoneNumber
from tests.campaigns.conftest import brand_input, campaign_input
from tests.factories.accounts import UserFactory
from tests.factories.campaigns import BrandFactory, CampaignFactory, PhoneNumberFactory

S = Campaign.Status
pytestmark = pytest.mark.django_db


def _actions(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(obj.uuid))
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- brands -------------------------------------------------------------------------------


def test_brand_create_validates_and_normalises(business, owner):
    brand = services.brand_create(
        business=business, actor=owner.user, **brand_input(ein="123456789", state="il")
    )
    assert brand.status == Brand.Status.DRAFT
    assert brand.ein == "12-3456789" and brand.state == "IL"
    assert brand.reference_id == f"brand-{brand.uuid}"
    assert _actions(brand) == ["campaigns.brand.create"]


def test_brand_create_refuses_bad_fields_by_name(business, owner):
    with pytest.raises(ValidationFailed) as exc:
        services.brand_create(business=business, actor=owner.user, **brand_input(ein="1"))
    assert "ein" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.brand_create(business=business, actor=owner.user, colour="red")
    assert exc.value.fields == {"colour": ["Unknown field."]}
    assert not Brand.objects.exists()


def test_manual_brand_registration_is_self_declared_and_then_frozen(business, owner):
    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    brand = services.brand_register(brand=brand, actor=owner.user)
    assert brand.status == Brand.Status.OK
    assert brand.identity_status == "SELF_DECLARED" and brand.registrar == "manual"
    assert brand.registry_brand_id.startswith("MANUAL-")
    with pytest.raises(Conflict):
        services.brand_update(brand=brand, actor=owner.user, display_name="Other")
    assert services.brand_register(brand=brand, actor=owner.user).status == Brand.Status.OK


# --- campaigns ----------------------------------------------------------------------------


def test_campaign_create_checks_shape_not_content(business, brand, owner):
    with pytest.raises(ValidationFailed) as exc:
        services.campaign_create(
            business=business, brand=brand, actor=owner.user,
            **campaign_input(sub_usecases=["MARKETING"], description="short"),
        )  # fmt: skip
    assert set(exc.value.fields) >= {"sub_usecases", "description"}
    # content rules wait for submit, so a draft can be saved half-way
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user,
        **campaign_input(sample1="No brand here but long enough."),
    )  # fmt: skip
    assert draft.status == S.DRAFT


def test_campaign_for_another_business_brand_is_not_found(business, other_business, owner):
    foreign = BrandFactory(business=other_business)
    with pytest.raises(NotFound):
        services.campaign_create(
            business=business, brand=foreign, actor=owner.user, **campaign_input()
        )


def test_submit_refuses_with_field_errors_and_stays_draft(business, brand, owner):
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user,
        **campaign_input(sample2="Bright Smile: 20% off whitening this month only!",
                         optout_message="Bright Smile: you have been removed from the list."),
    )  # fmt: skip
    with pytest.raises(services.CampaignRefused) as exc:
        services.campaign_submit(campaign=draft, actor=owner.user)
    assert "opt out" in exc.value.fields["sample2"][0]
    assert "no more messages" in exc.value.fields["optout_message"][0]
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and not draft.history.exists()
    assert "campaigns.campaign.refused" in _actions(draft)


def test_submit_refuses_prohibited_flags(business, brand, owner):
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user, **campaign_input(direct_lending=True)
    )
    with pytest.raises(services.CampaignRefused) as exc:
        services.campaign_submit(campaign=draft, actor=owner.user)
    assert "lending" in exc.value.fields["direct_lending"][0]


def test_submit_needs_a_registered_brand(business, owner):
    brand = BrandFactory(business=business, status=Brand.Status.DRAFT, display_name="Bright Smile")
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user, **campaign_input()
    )
    with pytest.raises(services.CampaignRefused) as exc:
        services.campaign_submit(campaign=draft, actor=owner.user)
    assert "brand" in exc.value.fields


def test_manual_review_approve_and_history(draft, owner):
    staff = UserFactory(is_staff=True)
    submitted = services.campaign_submit(campaign=draft, actor=owner.user)
    assert submitted.status == S.SUBMITTED and submitted.registrar == "manual"
    assert submitted.submission == Campaign.Submission.CREATED
    assert submitted.policy_decision["decision"] == "allow"
    services.campaign_set_status(campaign=draft, to_status=S.REVIEW, reason="", actor=staff)
    approved = services.campaign_set_status(
        campaign=draft, to_status=S.APPROVED, reason="Looks right.", actor=staff
    )
    assert approved.status == S.APPROVED and approved.approved_at
    history = list(CampaignStatusChange.objects.filter(campaign=draft).order_by("id"))
    assert [(h.from_status, h.to_status) for h in history] == [
        (S.DRAFT, S.SUBMITTED),
        (S.SUBMITTED, S.REVIEW),
        (S.REVIEW, S.APPROVED),
    ]
    assert history[0].actor == owner.user and history[0].source == "user"
    assert history[2].actor == staff and history[2].reason == "Looks right."
    assert _actions(draft)[-3:] == [
        "campaigns.campaign.submitted",
        "campaigns.campaign.review",
        "campaigns.campaign.approved",
    ]


def test_reject_needs_a_reason_then_appeal(draft, owner):
    staff = UserFactory(is_staff=True)
    services.campaign_submit(campaign=draft, actor=owner.user)
    with pytest.raises(ValidationFailed):
        services.campaign_set_status(campaign=draft, to_status=S.REJECTED, reason=" ", actor=staff)
    rejected = services.campaign_set_status(
        campaign=draft, to_status=S.REJECTED, reason="Message flow lacks the form URL.",
        actor=staff,
    )  # fmt: skip
    assert rejected.failure_reasons == ["Message flow lacks the form URL."]
    services.campaign_update(
        campaign=draft, actor=owner.user,
        message_flow="Patients opt in on https://brightsmile.com/sms with an unticked box.",
    )  # fmt: skip
    with pytest.raises(ValidationFailed):
        services.campaign_appeal(campaign=draft, explanation="", actor=owner.user)
    appealed = services.campaign_appeal(
        campaign=draft, explanation="Added the form URL.", actor=owner.user
    )
    assert appealed.status == S.APPEALED
    services.campaign_set_status(campaign=draft, to_status=S.APPROVED, reason="", actor=staff)
    draft.refresh_from_db()
    assert draft.status == S.APPROVED and draft.failure_reasons == []


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.DRAFT, S.APPROVED),
        (S.SUBMITTED, S.SUSPENDED),
        (S.REJECTED, S.APPROVED),
        (S.APPROVED, S.REJECTED),
        (S.EXPIRED, S.APPROVED),
        (S.DEACTIVATED, S.APPROVED),
    ],
)
def test_transitions_outside_the_machine_are_refused(business, start, target):
    campaign = CampaignFactory(business=business, status=start)
    with pytest.raises(Conflict):
        services.campaign_set_status(campaign=campaign, to_status=target, reason="x", actor=None)
    campaign.refresh_from_db()
    assert campaign.status == start


def test_fields_the_registry_freezes_cannot_change_after_submission(draft, owner):
    services.campaign_submit(campaign=draft, actor=owner.user)
    with pytest.raises(ValidationFailed) as exc:
        services.campaign_update(
            campaign=draft, actor=owner.user, usecase="MARKETING", automated=False,
            sample3="Bright Smile: a third sample message. Reply STOP to opt out.",
        )  # fmt: skip
    assert set(exc.value.fields) == {"usecase", "automated"}
    updated = services.campaign_update(
        campaign=draft, actor=owner.user,
        sample3="Bright Smile: a third sample message. Reply STOP to opt out.",
    )  # fmt: skip
    assert updated.sample3.startswith("Bright Smile")
    # content rules apply to edits after submission
    with pytest.raises(ValidationFailed) as exc:
        services.campaign_update(
            campaign=draft, actor=owner.user, sample1="A sample without the brand name at all."
        )
    assert "brand" in exc.value.fields["sample1"][0]


def test_sole_proprietor_gets_one_campaign_and_one_number(business, owner):
    brand = BrandFactory(
        business=business, entity_type="SOLE_PROPRIETOR", ein="", display_name="Ann Lee Tutor"
    )
    data = campaign_input(brand_name="Ann Lee Tutor", usecase="SOLE_PROPRIETOR", sub_usecases=[])
    first = services.campaign_create(business=business, brand=brand, actor=owner.user, **data)
    with pytest.raises(ValidationFailed) as exc:
        services.campaign_create(business=business, brand=brand, actor=owner.user, **data)
    assert "one campaign" in exc.value.fields["brand"][0]
    services.campaign_submit(campaign=first, actor=owner.user)
    services.campaign_set_status(campaign=first, to_status=S.APPROVED, reason="", actor=None)
    one = PhoneNumberFactory(business=business, campaign=None)
    two = PhoneNumberFactory(business=business, campaign=None)
    services.phone_number_assign(number=one, campaign=first, actor=owner.user)
    with pytest.raises(ValidationFailed) as exc:
        services.phone_number_assign(number=two, campaign=first, actor=owner.user)
    assert "only one number" in exc.value.fields["campaign"][0]


def test_final_states_free_the_numbers(business):
    number = PhoneNumberFactory(business=business)
    campaign = number.campaign
    services.campaign_set_status(
        campaign=campaign, to_status=S.DEACTIVATED, reason="Closed the programme.", actor=None
    )
    number.refresh_from_db()
    assert number.campaign is None


# --- numbers ------------------------------------------------------------------------------


def test_assign_only_to_an_approved_campaign_of_the_same_business(business, other_business):
    number = PhoneNumberFactory(business=business, campaign=None)
    pending = CampaignFactory(business=business, status=S.REVIEW)
    foreign = CampaignFactory(business=other_business)
    with pytest.raises(services.CampaignNotApproved):
        services.phone_number_assign(number=number, campaign=pending, actor=None)
    with pytest.raises(NotFound):
        services.phone_number_assign(number=number, campaign=foreign, actor=None)
    approved = CampaignFactory(business=business)
    services.phone_number_assign(number=number, campaign=approved, actor=None)
    number.refresh_from_db()
    assert number.campaign == approved and number.assigned_at
    assert _actions(number) == ["campaigns.number.assign"]
    released = PhoneNumberFactory(business=business, campaign=None, status="RELEASED")
    with pytest.raises(Conflict):
        services.phone_number_assign(number=released, campaign=approved, actor=None)


def test_more_than_49_numbers_needs_number_pool(business):
    campaign = CampaignFactory(business=business, number_pool=False)
    PhoneNumber.objects.bulk_create(
        PhoneNumber(business=business, campaign=campaign, e164=f"+1303555{i:04d}")
        for i in range(49)
    )
    extra = PhoneNumberFactory(business=business, campaign=None)
    with pytest.raises(ValidationFailed) as exc:
        services.phone_number_assign(number=extra, campaign=campaign, actor=None)
    assert "numberPool" in exc.value.fields["campaign"][0]
    pool = CampaignFactory(business=business, number_pool=True)
    PhoneNumber.objects.filter(campaign=campaign).update(campaign=pool)
    services.phone_number_assign(number=extra, campaign=pool, actor=None)
    assert pool.numbers.count() == 50


# --- the policy gate (policies.services.campaign_check) -----------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"sample1": "Bright Smile: get a payday loan today, cash in 1 hour. Reply STOP to "
             "opt out."},
            "sample1",
            "payday loan",
        ),
        (
            {"sample2": "Bright Smile: CBD gummies 2 for 1 this week. Reply STOP to opt out."},
            "sample2",
            "CBD",
        ),
    ],
)  # fmt: skip
def test_policy_gate_refuses_with_its_reason_next_to_the_field(
    business, brand, owner, overrides, field, words
):
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user, **campaign_input(**overrides)
    )
    with pytest.raises(services.CampaignRefused) as exc:
        services.campaign_submit(campaign=draft, actor=owner.user)
    assert any(words in m for m in exc.value.fields[field]), exc.value.fields
    assert exc.value.detail["policy"]["decision"] == "block"
    draft.refresh_from_db()
    assert draft.status == S.DRAFT


def test_policy_review_sends_the_campaign_to_our_staff_whatever_the_registrar(
    business, brand, owner, settings
):
    settings.CAMPAIGNS_REGISTRAR = "tcr"  # not configured: it must not be reached at all
    draft = services.campaign_create(
        business=business, brand=brand, actor=owner.user,
        # the policy engine's shipped rules ask staff to review investment advice
        **campaign_input(description="Updates for clients of our wealth management practice "
                         "and monthly offers."),
    )  # fmt: skip
    campaign = services.campaign_submit(campaign=draft, actor=owner.user)
    assert campaign.policy_decision["decision"] == "review"
    assert campaign.status == S.SUBMITTED and campaign.registrar == "manual"
    assert campaign.submission == Campaign.Submission.CREATED


def test_a_misconfigured_registry_is_a_retryable_state_not_a_crash(draft, owner, settings):
    settings.CAMPAIGNS_REGISTRAR = "tcr"
    settings.CAMPAIGNS_TCR_URL = ""
    campaign = services.campaign_submit(campaign=draft, actor=owner.user)
    assert campaign.status == S.SUBMITTED and campaign.submission == Campaign.Submission.FAILED
    assert "CAMPAIGNS_TCR_URL" in campaign.registry_error
