import pytest

from campaigns import demo, selectors
from campaigns.models import Brand, Campaign, PhoneNumber

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_ready_to_send(business, owner):
    demo.seed(business=business, owner=owner)
    demo.seed(business=business, owner=owner)
    assert Brand.objects.filter(business=business).count() == 1
    assert Campaign.objects.filter(business=business, status="APPROVED").count() == 1
    (number,) = selectors.phone_numbers_for_sending(business=business)
    assert number.e164 == demo.DEMO_NUMBER and PhoneNumber.objects.count() == 1
    permission = selectors.number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    )
    assert permission.allowed


def test_dashboard_steps_are_done_after_the_seed(business, owner):
    from accounts.portal.readiness import steps_for

    titles = {
        "Register your brand",
        "Register a campaign and get it approved",
        "Get a number on the approved campaign",
    }
    before = {s.title: s.done for s in steps_for(business) if s.title in titles}
    assert before == dict.fromkeys(titles, False)
    demo.seed(business=business, owner=owner)
    after = {s.title: s.done for s in steps_for(business) if s.title in titles}
    assert after == dict.fromkeys(titles, True)
