"""Factories for contacts, forms and consent.

``ContactFactory(business=b)`` is a contact without consent. Use ``opted_in_contact`` to
get one with confirmed consent through the real service (so the ledger chain is right).
"""

import factory
from factory.django import DjangoModelFactory

from consent import services
from consent.models import Contact, Method, OptInForm
from tests.factories.accounts import BusinessFactory

DISCLOSURE = (
    "By checking this box you agree to receive recurring appointment reminders and offers "
    "from Bright Smile at the number provided. Up to 4 msgs/month. Msg & data rates may "
    "apply. Reply STOP to cancel, HELP for help. Consent is not a condition of purchase."
)


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    business = factory.SubFactory(BusinessFactory)
    phone = factory.Sequence(lambda n: f"+1202555{n % 10000:04d}")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"client{n}@example.com")
    time_zone = "America/New_York"
    tags = factory.LazyFunction(list)
    source = "portal"


class OptInFormFactory(DjangoModelFactory):
    class Meta:
        model = OptInForm
        skip_postgeneration_save = True

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Website sign-up {n}")
    program_name = factory.LazyAttribute(lambda o: f"{o.business.display_name} Alerts")
    message_description = "appointment reminders and occasional offers"
    terms_url = factory.LazyAttribute(lambda o: f"{o.business.website}/terms")
    privacy_url = factory.LazyAttribute(lambda o: f"{o.business.website}/privacy")
    allowed_origins = factory.LazyAttribute(lambda o: [o.business.website])

    @factory.post_generation
    def campaigns(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.campaigns.set(extracted)


def opted_in_contact(*, business, campaign=None, kind="marketing", **contact_kwargs) -> Contact:
    """A contact with confirmed consent for ``campaign`` (or ``kind``), via the services."""
    contact = ContactFactory(business=business, **contact_kwargs)
    services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.API,
        campaign=campaign,
        kind=None if campaign else kind,
        # a web form's record (page, disclosure, IP): written consent, as marketing needs
        evidence={
            "disclosure_text": DISCLOSURE,
            "source": "factory",
            "page_url": "https://example.com/texts",
            "ip": "203.0.113.7",
        },
        double_opt_in=False,
    )
    return contact
