import factory
from factory.django import DjangoModelFactory

from accounts.models import Business, Membership, User
from accounts.roles import Role

PASSWORD = "correct-horse-battery-9"


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

    legal_name = factory.Sequence(lambda n: f"Bright Smile Dental {n} LLC")
    display_name = factory.Sequence(lambda n: f"Bright Smile {n}")
    website = factory.Sequence(lambda n: f"https://brightsmile{n}.com")
    brand_domains = factory.LazyAttribute(lambda o: [o.website.split("//")[1]])
    industry_description = "Family dental clinic: check-ups, cleanings and whitening."
    vetting_status = Business.Vetting.APPROVED


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    business = factory.SubFactory(BusinessFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.OWNER.value
