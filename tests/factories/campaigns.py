"""Factories for a registered brand, an approved campaign and a number on it.

``PhoneNumberFactory(business=b)`` gives a number ready to send for ``b`` (an ACTIVE number on
an APPROVED, automated MIXED campaign covering all four message kinds). Override ``campaign``
(or ``campaign=None``) and the statuses for the other cases.
"""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from campaigns.models import Brand, Campaign, PhoneNumber
from tests.factories.accounts import BusinessFactory

OPTIN = (
    "{brand}: You are now subscribed to appointment reminders and offers. Up to 4 msgs/month. "
    "Msg & data rates may apply. Reply HELP for help, STOP to opt out."
)
OPTOUT = "{brand}: You are unsubscribed and will receive no more messages."
HELP = "{brand}: For help call (555) 010-0000 or email help@example.com. Reply STOP to opt out."


class BrandFactory(DjangoModelFactory):
    class Meta:
        model = Brand

    business = factory.SubFactory(BusinessFactory)
    entity_type = "PRIVATE_PROFIT"
    display_name = factory.LazyAttribute(lambda o: o.business.display_name)
    company_name = factory.LazyAttribute(lambda o: o.business.legal_name)
    ein = "12-3456789"
    country = "US"
    email = factory.Sequence(lambda n: f"brand{n}@example.com")
    phone = "+12025550100"
    street = "1 Main St"
    city = "Springfield"
    state = "IL"
    postal_code = "62701"
    website = factory.LazyAttribute(lambda o: o.business.website)
    vertical = "HEALTHCARE"
    identity_status = "VERIFIED"
    status = Brand.Status.OK
    registrar = "manual"


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    business = factory.SubFactory(BusinessFactory)
    brand = factory.SubFactory(BrandFactory, business=factory.SelfAttribute("..business"))
    usecase = "MIXED"
    sub_usecases = factory.LazyFunction(lambda: ["MARKETING", "CUSTOMER_CARE"])
    description = (
        "Appointment reminders, replies to patient questions and occasional offers "
        "for patients of the clinic."
    )
    message_flow = (
        "Patients opt in on the web form at our website by ticking an unticked SMS box, "
        "or by texting JOIN to our number; the form shows frequency, rates, HELP and STOP."
    )
    sample1 = factory.LazyAttribute(
        lambda o: f"{o.brand.display_name}: your cleaning is on Tue 3pm. Reply STOP to opt out."
    )
    sample2 = factory.LazyAttribute(
        lambda o: f"{o.brand.display_name}: 20% off whitening this month. Reply STOP to opt out."
    )
    help_message = factory.LazyAttribute(lambda o: HELP.format(brand=o.brand.display_name))
    optin_message = factory.LazyAttribute(lambda o: OPTIN.format(brand=o.brand.display_name))
    optout_message = factory.LazyAttribute(lambda o: OPTOUT.format(brand=o.brand.display_name))
    embedded_link = False
    embedded_phone = False
    automated = True
    status = Campaign.Status.APPROVED
    registrar = "manual"
    submission = Campaign.Submission.CREATED
    submitted_at = factory.LazyFunction(timezone.now)
    approved_at = factory.LazyFunction(timezone.now)


class PhoneNumberFactory(DjangoModelFactory):
    class Meta:
        model = PhoneNumber

    business = factory.SubFactory(BusinessFactory)
    campaign = factory.SubFactory(CampaignFactory, business=factory.SelfAttribute("..business"))
    e164 = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    status = PhoneNumber.Status.ACTIVE
    provider = "simulated"
    capabilities = factory.LazyFunction(lambda: ["sms", "mms"])
    assigned_at = factory.LazyFunction(timezone.now)
