"""The registry poller: brands and campaigns whose outcome is not known yet."""

import pytest

from campaigns import services, tasks
from campaigns.models import Brand
from campaigns.registrars.tcr import TcrRegistrar
from tests.campaigns.conftest import brand_input, campaign_input

pytestmark = pytest.mark.django_db


def test_poller_finishes_a_pending_brand(registry, business, owner):
    brand = services.brand_create(business=business, actor=owner.user, **brand_input())
    registry.fail("POST", "/10dlc/brand", status=503)
    brand = services.brand_register(brand=brand, actor=owner.user)
    assert brand.status == Brand.Status.REGISTRATION_PENDING
    assert tasks.campaigns_poll_registry() == 1
    brand.refresh_from_db()
    assert brand.status == Brand.Status.OK and len(registry.brands) == 1


def test_one_failing_campaign_does_not_stop_the_round(registry, business, owner, monkeypatch):
    brand = services.brand_register(
        brand=services.brand_create(business=business, actor=owner.user, **brand_input()),
        actor=owner.user,
    )
    first, second = (
        services.campaign_submit(
            campaign=services.campaign_create(
                business=business, brand=brand, actor=owner.user, **campaign_input(name=name)
            ),
            actor=owner.user,
        )
        for name in ("First", "Second")
    )
    seen = []
    real_fetch = TcrRegistrar.campaign_fetch

    def fetch(self, campaign):
        seen.append(campaign.name)
        if campaign.pk == first.pk:
            raise RuntimeError("the registry answered something we cannot read")
        return real_fetch(self, campaign)

    monkeypatch.setattr(TcrRegistrar, "campaign_fetch", fetch)
    registry.set_campaign_status(second.registry_campaign_id, "ACTIVE")
    assert tasks.campaigns_poll_registry() == 2
    assert sorted(seen) == ["First", "Second"]
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == "APPROVED" and first.status == "SUBMITTED"
