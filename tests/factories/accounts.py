import factory
from factory.django import DjangoModelFactory

from accounts.models import Business, Membership, User
from accounts.roles import Role
from campaigns.domains.models import BrandDomain

PASSWORD = "correct-horse-battery-9"
# valid by Django's and DRF's validators (they allow 320 characters), longer than the 254
# every email column holds: must be a field error, never a 500
LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"


def signup_data(**overrides) -> dict:
    """What a person fills in on /signup/ for a nail salon the sign-up gate accepts."""
    return {
        "email": "new.owner@brightnails.example",
        "password": PASSWORD,
        "full_name": "Nina Owner",
        "legal_name": "Bright Nails LLC",
        "display_name": "Bright Nails",
        "website": "https://brightnails.example",
        "industry_description": "Nail salon: manicures, pedicures and gel polish.",
        "time_zone": "America/Chicago",
        "age_confirmed": "on",
        "accept_terms": "on",
        **overrides,
    }


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class BusinessFactory(DjangoModelFactory):
    class Meta:
        model = Business
        skip_postgeneration_save = True  # domains_verified writes its own rows

    legal_name = factory.Sequence(lambda n: f"Bright Smile Dental {n} LLC")
    display_name = factory.Sequence(lambda n: f"Bright Smile {n}")
    website = factory.Sequence(lambda n: f"https://brightsmile{n}.com")
    brand_domains = factory.LazyAttribute(lambda o: [o.website.split("//")[1]])
    industry_description = "Family dental clinic: check-ups, cleanings and whitening."
    vetting_status = Business.Vetting.APPROVED

    @factory.post_generation
    def domains_verified(obj, create, extracted, **kwargs):
        """Its brand domains are proven (campaigns.domains), as an approved business's would
        be; ``BusinessFactory(domains_verified=False)`` leaves them unproven."""
        if create and extracted is not False:
            BrandDomain.objects.bulk_create(
                [
                    BrandDomain(
                        business=obj,
                        domain=d,
                        token=f"factory-{obj.pk}",
                        status=BrandDomain.Status.VERIFIED,
                        method=BrandDomain.Method.STAFF,
                        verified_at=obj.created_at,
                    )
                    for d in dict.fromkeys(obj.brand_domains or [])
                ]
            )


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    business = factory.SubFactory(BusinessFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER.value
