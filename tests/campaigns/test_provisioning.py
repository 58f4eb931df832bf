"""Number search, rental and release against the simulated carrier over real HTTP."""

import pytest

from accounts.errors import Conflict, ValidationFailed
from campaigns import services
from campaigns.models import PhoneNumber
from tests.factories.campaigns import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier_url(carrier, settings):
    settings.CARRIER_URL = carrier.url
    return carrier.url


def test_search_provision_assign_release(carrier_url, business, owner):
    available = services.phone_number_search(business=business, area_code="303", limit=3)
    assert len(available) == 3 and all(n.startswith("+1303") for n in available)
    number = services.phone_number_provision(business=business, e164=available[0], actor=owner.user)
    assert number.status == PhoneNumber.Status.ACTIVE and number.provider_id.startswith("PN")
    assert number.campaign is None
    # the carrier no longer offers it
    assert available[0] not in services.phone_number_search(
        business=business, area_code="303", limit=3
    )
    campaign = CampaignFactory(business=business)
    services.phone_number_assign(number=number, campaign=campaign, actor=owner.user)
    released = services.phone_number_release(number=number, actor=owner.user)
    assert released.status == PhoneNumber.Status.RELEASED and released.released_at
    # back on offer, and it can be rented again (a new live row)
    assert available[0] in services.phone_number_search(business=business, area_code="303", limit=3)
    again = services.phone_number_provision(business=business, e164=available[0], actor=None)
    assert again.pk != number.pk


def test_a_number_taken_at_the_carrier_is_a_conflict(carrier_url, business, other_business):
    e164 = services.phone_number_search(business=business, area_code="404", limit=1)[0]
    services.phone_number_provision(business=other_business, e164=e164, actor=None)
    with pytest.raises(Conflict):
        services.phone_number_provision(business=business, e164=e164, actor=None)
    # taken at the carrier but not known here: the carrier's 409 answers
    PhoneNumber.objects.filter(e164=e164).delete()
    with pytest.raises(Conflict) as exc:
        services.phone_number_provision(business=business, e164=e164, actor=None)
    assert "provider" in exc.value.message


def test_bad_input_and_unreachable_provider(business, settings):
    with pytest.raises(ValidationFailed):
        services.phone_number_search(business=business, area_code="30", limit=3)
    with pytest.raises(ValidationFailed):
        services.phone_number_provision(business=business, e164="+44 20 7946 0000", actor=None)
    settings.CARRIER_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(services.RegistryUnavailable):
        services.phone_number_search(business=business, area_code="303", limit=3)
    with pytest.raises(services.RegistryUnavailable):
        services.phone_number_provision(business=business, e164="+13035550100", actor=None)
    assert not PhoneNumber.objects.exists()
