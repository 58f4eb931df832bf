import factory
from factory.django import DjangoModelFactory

from policies.models import BusinessScreening, PolicyDecision, Strike
from tests.factories.accounts import BusinessFactory


class PolicyDecisionFactory(DjangoModelFactory):
    class Meta:
        model = PolicyDecision

    business = factory.SubFactory(BusinessFactory)
    gate = PolicyDecision.Gate.MESSAGE
    decision = "block"
    categories = factory.LazyFunction(lambda: ["link_shortener"])
    reasons = factory.LazyFunction(
        lambda: [
            {
                "rule_id": "link.shortener",
                "category": "link_shortener",
                "verdict": "block",
                "message": "bit.ly is a public link shortener; use a link on brightsmile.com.",
                "span": [10, 20],
                "matched": "bit.ly/abc",
            }
        ]
    )
    excerpt = "Book now: bit.ly/abc"
    kind = "transactional"


class StrikeFactory(DjangoModelFactory):
    class Meta:
        model = Strike

    business = factory.SubFactory(BusinessFactory)
    signal = Strike.Signal.OPT_OUT_RATE
    explanation = "8.0% of the people you texted replied STOP in the last 7 days."


class BusinessScreeningFactory(DjangoModelFactory):
    class Meta:
        model = BusinessScreening

    business = factory.SubFactory(BusinessFactory)
    name = factory.LazyAttribute(lambda o: o.business.legal_name)
    industry_description = "Financial planning for families"
    website = factory.LazyAttribute(lambda o: o.business.website)
    decision = "review"
    categories = factory.LazyFunction(lambda: ["investment"])
    reasons = factory.LazyFunction(
        lambda: [
            {
                "rule_id": "industry.investment.financial_planning",
                "category": "investment",
                "verdict": "review",
                "message": "“financial planning”: investment offers are not allowed.",
                "span": [0, 18],
                "matched": "Financial planning",
            }
        ]
    )
    status = BusinessScreening.Status.OPEN
