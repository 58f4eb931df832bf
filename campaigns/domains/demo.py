"""Demo data for ``make run``: the demo business's link domains count as verified (the
demo domain has no DNS or website to prove it with). Idempotent."""

from django.db import transaction
from django.utils import timezone

from . import services
from .models import BrandDomain


@transaction.atomic
def seed(*, business, owner) -> None:
    services.brand_domains_sync(business=business)
    BrandDomain.objects.filter(business=business, status=BrandDomain.Status.PENDING).update(
        status=BrandDomain.Status.VERIFIED,
        method=BrandDomain.Method.STAFF,
        verified_at=timezone.now(),
        staff_reason="Demo data: the local demo's own domain.",
    )
