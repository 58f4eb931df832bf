"""Sweep rules for every campaigns URL (see tests/sweep.py)."""

from accounts.roles import Cap
from tests.sweep import Rule


def _brand(business):
    from tests.factories.campaigns import BrandFactory

    return {"brand_uuid": BrandFactory(business=business).uuid}


def _campaign(business):
    from tests.factories.campaigns import CampaignFactory

    return {"campaign_uuid": CampaignFactory(business=business).uuid}


def _draft(business):
    from tests.factories.campaigns import CampaignFactory

    return {"campaign_uuid": CampaignFactory(business=business, status="DRAFT").uuid}


def _number(business):
    from tests.factories.campaigns import PhoneNumberFactory

    # provider "manual" is not the simulated carrier: releasing it makes no network call
    return {"number_uuid": PhoneNumberFactory(business=business, provider="manual").uuid}


def _assign_data(business, kwargs):
    from tests.factories.campaigns import CampaignFactory

    return {"campaign": str(CampaignFactory(business=business).uuid)}


def _release_data(business, kwargs):
    from campaigns.models import PhoneNumber

    number = PhoneNumber.objects.filter(uuid=kwargs["number_uuid"]).first()
    return {"confirm": number.e164 if number else ""}


def _domain(business):
    from campaigns.domains.models import BrandDomain

    # verified already: "Check now" answers without a network call
    return {
        "domain_uuid": BrandDomain.objects.get(
            business=business, domain=business.brand_domains[0]
        ).uuid
    }


M = Cap.MANAGE_CAMPAIGNS
RULES = {
    "campaigns:registry-webhook": Rule(
        "public",
        method="post",
        reason="the registry's server-to-server status webhook, authenticated by HMAC signature",
        allowed_extra=(401,),
    ),
    "campaigns:index": Rule("portal", cap=Cap.VIEW),
    "campaigns:brand-new": Rule("portal", cap=M),
    "campaigns:brand": Rule("portal", cap=Cap.VIEW, kwargs=_brand),
    "campaigns:brand-register": Rule("portal", cap=M, method="post", kwargs=_brand),
    "campaigns:campaign-new": Rule("portal", cap=M),
    "campaigns:campaign-validate": Rule("portal", cap=M, method="post"),
    "campaigns:campaign": Rule("portal", cap=Cap.VIEW, kwargs=_campaign),
    "campaigns:campaign-edit": Rule("portal", cap=M, kwargs=_campaign),
    "campaigns:campaign-submit": Rule("portal", cap=M, method="post", kwargs=_draft),
    "campaigns:campaign-retry": Rule("portal", cap=M, method="post", kwargs=_campaign),
    "campaigns:campaign-appeal": Rule("portal", cap=M, method="post", kwargs=_campaign),
    "campaigns:campaign-deactivate": Rule(
        "portal", cap=M, method="post", kwargs=_campaign, data=lambda b, kw: {"reason": "done"}
    ),
    "campaigns:numbers": Rule("portal", cap=Cap.VIEW),
    "campaigns:number-provision": Rule("portal", cap=M, method="post"),
    "campaigns:number-assign": Rule(
        "portal", cap=M, method="post", kwargs=_number, data=_assign_data
    ),
    "campaigns:number-release": Rule("portal", cap=M, kwargs=_number),
    "domains:list": Rule("portal", cap=Cap.VIEW),
    "domains:check": Rule("portal", cap=M, method="post", kwargs=_domain),
    # API
    "api-brands": Rule("api", cap=Cap.VIEW),
    "api-brand": Rule("api", cap=Cap.VIEW, kwargs=_brand),
    "api-brand-register": Rule("api", cap=M, method="post", kwargs=_brand),
    "api-campaigns": Rule("api", cap=Cap.VIEW),
    "api-campaign": Rule("api", cap=Cap.VIEW, kwargs=_campaign),
    "api-campaign-submit": Rule(
        "api", cap=M, method="post", kwargs=_campaign, allowed_extra=(409,)
    ),
    "api-campaign-retry": Rule("api", cap=M, method="post", kwargs=_campaign, allowed_extra=(409,)),
    "api-campaign-appeal": Rule(
        "api",
        cap=M,
        method="post",
        kwargs=_campaign,
        data=lambda b, kw: {"explanation": "x"},
        allowed_extra=(409,),
    ),
    "api-campaign-status": Rule("api", cap=Cap.VIEW, kwargs=_campaign),
    "api-numbers": Rule("api", cap=Cap.VIEW),
    "api-numbers-available": Rule("api", cap=M, allowed_extra=(400,)),
    "api-number": Rule("api", cap=Cap.VIEW, kwargs=_number),
    "api-number-assign": Rule("api", cap=M, method="post", kwargs=_number, data=_assign_data),
    "api-number-release": Rule("api", cap=M, method="post", kwargs=_number),
}
