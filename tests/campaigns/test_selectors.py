"""The send-permission selector over every combination, and the number look-ups."""

import itertools

import pytest

from accounts.errors import NotFound
from accounts.models import Business
from campaigns import selectors
from campaigns.models import Campaign, PhoneNumber
from tests.factories.accounts import BusinessFactory
from tests.factories.campaigns import PhoneNumberFactory

KINDS = ["marketing", "informational", "transactional", "conversational"]
# (usecase, sub_usecases) -> the kinds it covers
USECASES = {
    ("MARKETING", ()): {"marketing"},
    ("CUSTOMER_CARE", ()): {"conversational", "informational", "transactional"},
    ("2FA", ()): {"transactional"},
    ("MIXED", ("MARKETING", "ACCOUNT_NOTIFICATION")): {
        "marketing",
        "informational",
        "transactional",
    },
}
BUSINESS_STATES = [*Business.Vetting.values, "OTHER_BUSINESS"]
NUMBER_STATES = [*PhoneNumber.Status.values, "UNASSIGNED"]


def _expected(biz_state, num_state, camp_state, camp_automated, usecase_kinds, automated, kind):
    """The precedence the contract promises: the first failing rule answers."""
    if biz_state == "OTHER_BUSINESS":
        return "wrong_business"
    if biz_state != "APPROVED":
        return "business_not_approved"
    if num_state not in ("ACTIVE", "UNASSIGNED"):
        return "number_inactive"
    if num_state == "UNASSIGNED":
        return "number_unassigned"
    if camp_state != "APPROVED":
        return "campaign_not_approved"
    if automated and not camp_automated:
        return "campaign_not_automated"
    if kind not in usecase_kinds:
        return "kind_not_in_usecase"
    return "ok"


@pytest.mark.parametrize("biz_state", BUSINESS_STATES)
def test_send_permission_every_combination(biz_state):
    """Unsaved rows: the selector reads only attributes, so every combination is cheap."""
    owner = Business(pk=1, vetting_status="APPROVED")
    stranger = Business(pk=2, vetting_status="APPROVED")
    asking = stranger if biz_state == "OTHER_BUSINESS" else owner
    if biz_state != "OTHER_BUSINESS":
        owner.vetting_status = biz_state
    failures, checked = [], 0
    combos = itertools.product(
        NUMBER_STATES, Campaign.Status.values, [True, False], USECASES.items(), [True, False], KINDS
    )
    for num_state, camp_state, camp_auto, ((usecase, subs), kinds), automated, kind in combos:
        campaign = Campaign(
            business_id=owner.pk,
            usecase=usecase,
            sub_usecases=list(subs),
            status=camp_state,
            automated=camp_auto,
        )
        number = PhoneNumber(
            business_id=owner.pk,
            e164="+12025550100",
            status="ACTIVE" if num_state == "UNASSIGNED" else num_state,
            campaign=None if num_state == "UNASSIGNED" else campaign,
        )
        got = selectors.number_send_permission(
            business=asking, number=number, kind=kind, automated=automated
        )
        want = _expected(biz_state, num_state, camp_state, camp_auto, kinds, automated, kind)
        checked += 1
        if got.code != want or got.allowed != (want == "ok") or not got.message:
            failures.append((num_state, camp_state, camp_auto, usecase, automated, kind, got, want))
        hidden = want == "wrong_business" or num_state == "UNASSIGNED"
        assert got.campaign is (None if hidden else campaign)
    assert checked == len(NUMBER_STATES) * 9 * 2 * len(USECASES) * 2 * 4
    assert not failures, failures[:5]


@pytest.mark.django_db
def test_send_permission_on_saved_rows_names_the_reason():
    number = PhoneNumberFactory(campaign__usecase="MARKETING", campaign__sub_usecases=[])
    business = number.business
    ok = selectors.number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    )
    assert ok.allowed and ok.code == "ok" and ok.campaign == number.campaign
    no = selectors.number_send_permission(
        business=business, number=number, kind="transactional", automated=False
    )
    assert not no.allowed and no.code == "kind_not_in_usecase"
    assert "MARKETING" in no.message and "marketing" in no.message
    other = selectors.number_send_permission(
        business=BusinessFactory(), number=number, kind="marketing", automated=False
    )
    assert other.code == "wrong_business" and other.campaign is None


@pytest.mark.django_db
def test_phone_number_lookups(business, other_business):
    ready = PhoneNumberFactory(business=business)
    pending = PhoneNumberFactory(business=business, campaign__status=Campaign.Status.REVIEW)
    unassigned = PhoneNumberFactory(business=business, campaign=None)
    released = PhoneNumberFactory(business=business, status=PhoneNumber.Status.RELEASED)
    PhoneNumberFactory(business=other_business)

    assert list(selectors.phone_numbers_for_sending(business=business)) == [ready]
    assert selectors.phone_number_get(business=business, number_uuid=pending.uuid) == pending
    with pytest.raises(NotFound):
        selectors.phone_number_get(business=other_business, number_uuid=ready.uuid)
    with pytest.raises(NotFound):
        selectors.phone_number_get(business=business, number_uuid="not-a-uuid")
    assert selectors.phone_number_for_e164(e164=unassigned.e164) == unassigned
    assert selectors.phone_number_for_e164(e164=released.e164) is None
    assert selectors.phone_number_for_e164(e164="+19999999999") is None
    # a released number can be rented again: one live row per e164
    again = PhoneNumberFactory(business=other_business, e164=released.e164, campaign=None)
    assert selectors.phone_number_for_e164(e164=released.e164) == again
