"""Brands: drafts checked against every TCR rule, registration, the registry's answers."""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.billing.models import UsageKind
from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record
from policies import services as policies

from .. import rules, tcr
from ..models import Brand
from ..registrars import BrandResult, RegistryError, get_registrar
from ..registrars.tcr import brand_result
from .billing import billing_report_registration

# What a brand says about who the business is: a change screens the business again
SCREENED = {"display_name": "brand name", "company_name": "legal name", "website": "website"}


def _rescreen(*, brand: Brand, changed: list[str], actor: User | None, ip: str | None) -> None:
    """A new or changed brand name or website runs the sign-up screen again
    (``policies.business_rescreen``: block holds sending pending review, review goes to the
    staff queue); a closed business has nothing left to screen."""
    business = brand.business
    fields = [SCREENED[f] for f in changed if f in SCREENED]
    if not fields or business.vetting_status == Business.Vetting.TERMINATED:
        return
    policies.business_rescreen(
        business=business,
        name="\n".join(n for n in (brand.company_name, brand.display_name) if n),
        industry_description=business.industry_description,
        website=brand.website or business.website,
        changed=fields,
        actor=actor,
        ip=ip,
    )


def _refuse_unknown(fields: dict, allowed: list[str]) -> None:
    errors = rules.unknown_field_errors(fields, allowed)
    if errors:
        raise ValidationFailed(fields=errors)


@transaction.atomic
def brand_create(
    *, business: Business, actor: User | None, ip: str | None = None, **fields: Any
) -> Brand:
    """A draft brand; every TCR rule is checked now, so registering it can only fail remotely."""
    _refuse_unknown(fields, tcr.BRAND_FIELDS)
    data = rules.normalize({"country": "US", **fields})
    errors = rules.brand_errors(data)
    if errors:
        raise ValidationFailed(fields=errors)
    brand = Brand.objects.create(business=business, **data)
    audit_record(
        action="campaigns.brand.create", obj=brand, actor=actor, business=business,
        detail={"entity_type": brand.entity_type}, ip=ip,
    )  # fmt: skip
    _rescreen(brand=brand, changed=list(SCREENED), actor=actor, ip=ip)
    return brand


@transaction.atomic
def brand_update(
    *, brand: Brand, actor: User | None, ip: str | None = None, **fields: Any
) -> Brand:
    _refuse_unknown(fields, tcr.BRAND_FIELDS)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    if brand.status not in (Brand.Status.DRAFT, Brand.Status.REGISTRATION_FAILED):
        raise Conflict(
            "A brand cannot be changed once it is registered or waiting for the registry.",
            detail={"status": brand.status},
        )
    data = rules.normalize(fields)
    current = {f: getattr(brand, f) for f in tcr.BRAND_FIELDS}
    changed = [f for f, v in data.items() if current.get(f) != v]
    errors = rules.brand_errors({**current, **data})
    if errors:
        raise ValidationFailed(fields=errors)
    for key, value in data.items():
        setattr(brand, key, value)
    brand.updated_at = timezone.now()
    brand.save()
    audit_record(
        action="campaigns.brand.update", obj=brand, actor=actor, business=brand.business,
        detail={"fields": sorted(data)}, ip=ip,
    )  # fmt: skip
    _rescreen(brand=brand, changed=changed, actor=actor, ip=ip)
    return brand


def brand_register(*, brand: Brand, actor: User | None, ip: str | None = None) -> Brand:
    """Send the brand to the registrar. Idempotent: a pending brand is looked up first."""
    with transaction.atomic():
        brand = Brand.objects.select_for_update().get(pk=brand.pk)
        if brand.status == Brand.Status.OK:
            return brand
        errors = rules.brand_errors({f: getattr(brand, f) for f in tcr.BRAND_FIELDS})
        if errors:
            raise ValidationFailed(fields=errors)
        retrying = brand.status == Brand.Status.REGISTRATION_PENDING
        brand.registrar = brand.registrar or settings.CAMPAIGNS_REGISTRAR
        brand.status = Brand.Status.REGISTRATION_PENDING
        brand.updated_at = timezone.now()
        brand.save(update_fields=["registrar", "status", "updated_at"])
        if not retrying or actor is not None:  # the poller's rounds are not news
            audit_record(
                action="campaigns.brand.register", obj=brand, actor=actor,
                business=brand.business, detail={"registrar": brand.registrar}, ip=ip,
            )  # fmt: skip
        billing_report_registration(
            business=brand.business, key=f"brand:{brand.uuid}:registration",
            kind=UsageKind.BRAND_REGISTRATION, description=f"brand {brand}",
        )  # fmt: skip
    try:
        registrar = get_registrar(brand.registrar)
        result = registrar.brand_fetch(brand) if retrying else None
        if result is None:
            result = registrar.brand_create(brand)
    except RegistryError as exc:
        Brand.objects.filter(pk=brand.pk).update(
            registry_error=exc.message,
            status=Brand.Status.REGISTRATION_PENDING if exc.transient else Brand.Status.DRAFT,
            failure_reasons=[m for ms in exc.fields.values() for m in ms] or [exc.message],
            updated_at=timezone.now(),
        )
        brand.refresh_from_db()
        if not exc.transient:
            raise ValidationFailed(exc.message, fields=exc.fields) from None
        return brand
    return _brand_apply(brand=brand, result=result)


def _brand_apply(*, brand: Brand, result) -> Brand:
    brand.registry_brand_id = result.registry_id or brand.registry_brand_id
    brand.status = result.status
    brand.identity_status = result.identity_status or brand.identity_status
    brand.vetting_score = (
        result.vetting_score if result.vetting_score is not None else brand.vetting_score
    )
    brand.failure_reasons = result.failure_reasons
    brand.registry_error = ""
    brand.updated_at = timezone.now()
    brand.save()
    return brand


def brand_refresh(*, brand: Brand) -> Brand:
    """Poll the registry for a pending brand (the retry after a time-out, too)."""
    if brand.status != Brand.Status.REGISTRATION_PENDING:
        return brand
    return brand_register(brand=brand, actor=None)


def brand_apply_registry_status(*, registry_brand_id: str, status: str, identity_status: str = "",
                                failure_reasons: list | None = None) -> Brand | None:  # fmt: skip
    brand = Brand.objects.filter(registry_brand_id=registry_brand_id).first()
    if brand is None:
        return None
    result: BrandResult = brand_result(
        {"brandId": registry_brand_id, "status": status, "identityStatus": identity_status,
         "failureReasons": failure_reasons or []}
    )  # fmt: skip
    return _brand_apply(brand=brand, result=result)
