"""Reads of verified link domains. Ids from requests are resolved here, scoped by business."""

from django.core.exceptions import ValidationError

from accounts.errors import NotFound
from accounts.models import Business

from .models import BrandDomain


def clean_domain(domain: str) -> str:
    return domain.strip().lower().split("://")[-1].split("/")[0].removeprefix("www.")


def verified_domains(business: Business) -> list[str]:
    """The business's own link domains: those it lists (``Business.brand_domains``) and has
    proved it controls, in its order. One query. Every gate that judges links reads this
    (policies' message check through the source registered in ``apps.py``, campaign
    sample screening directly); an unverified domain counts as anyone's."""
    listed = [clean_domain(d) for d in business.brand_domains or [] if d and d.strip()]
    if not listed:
        return []
    proven = set(
        BrandDomain.objects.filter(
            business=business, status=BrandDomain.Status.VERIFIED, domain__in=listed
        ).values_list("domain", flat=True)
    )
    return [d for d in dict.fromkeys(listed) if d in proven]


def brand_domain_list(*, business: Business) -> list[BrandDomain]:
    """The domains the business lists, each with its verification (rows for domains no
    longer listed are left out)."""
    listed = {clean_domain(d) for d in business.brand_domains or [] if d and d.strip()}
    rows = BrandDomain.objects.filter(business=business, domain__in=listed).order_by("domain")
    return list(rows)


def brand_domain_get(*, business: Business, domain_uuid) -> BrandDomain:
    try:
        return BrandDomain.objects.get(business=business, uuid=domain_uuid)
    except (BrandDomain.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No such domain.") from None
