"""Valid brand and campaign inputs that tests change one field at a time."""

import pytest

from campaigns.models import Campaign
from tests.campaigns.fake_registry import FakeRegistry
from tests.factories.campaigns import BrandFactory

REGISTRY_WEBHOOK_SECRET = "webhook-secret-for-tests"


def brand_input(**overrides) -> dict:
    data = {
        "entity_type": "PRIVATE_PROFIT",
        "display_name": "Bright Smile",
        "company_name": "Bright Smile Dental LLC",
        "ein": "12-3456789",
        "email": "support@brightsmile.com",
        "phone": "+12025550100",
        "street": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "website": "https://brightsmile.com",
        "vertical": "HEALTHCARE",
        "country": "US",
    }
    data.update(overrides)
    return data


def campaign_input(brand_name: str = "Bright Smile", **overrides) -> dict:
    data = {
        "name": "Reminders and offers",
        "usecase": "MIXED",
        "sub_usecases": ["ACCOUNT_NOTIFICATION", "MARKETING"],
        "description": "Appointment reminders and monthly offers for patients of our clinic.",
        "message_flow": (
            "Patients opt in on the web form at https://brightsmile.com/sms by ticking an "
            "unticked SMS box that shows frequency, rates, HELP and STOP."
        ),
        "sample1": f"{brand_name}: your cleaning is on Tue 3pm. Reply STOP to opt out.",
        "sample2": f"{brand_name}: 20% off whitening this month. Reply STOP to opt out.",
        "help_message": f"{brand_name}: call 202-555-0100 for help. Reply STOP to opt out.",
        "optin_message": (
            f"{brand_name}: You are now subscribed to reminders and offers. Up to 4 msgs/month. "
            "Msg & data rates may apply. Reply HELP for help, STOP to opt out."
        ),
        "optout_message": f"{brand_name}: You are unsubscribed and will receive no more messages.",
        "automated": True,
        "help_keywords": "HELP,INFO",
        "optin_keywords": "START,YES",
        "optout_keywords": "STOP,END,QUIT",
    }
    data.update(overrides)
    return data


@pytest.fixture
def brand(business):
    return BrandFactory(business=business, display_name="Bright Smile")


@pytest.fixture
def draft(business, brand, owner):
    from campaigns import services

    return services.campaign_create(
        business=business, brand=brand, actor=owner.user, **campaign_input()
    )


@pytest.fixture
def approved_statuses():
    return Campaign.Status


@pytest.fixture
def registry(settings):
    """A local CSP (tcr registrar) that the campaigns services talk to over HTTP."""
    fake = FakeRegistry().start()
    settings.CAMPAIGNS_REGISTRAR = "tcr"
    settings.CAMPAIGNS_TCR_URL = fake.url
    settings.CAMPAIGNS_TCR_API_KEY = fake.api_key
    settings.CAMPAIGNS_TCR_TIMEOUT = 0.5
    settings.CAMPAIGNS_TCR_WEBHOOK_SECRET = REGISTRY_WEBHOOK_SECRET
    yield fake
    fake.stop()
