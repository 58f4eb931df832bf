"""Every write of verified link domains: the rows for the listed domains, checks, staff."""

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from . import probes
from .models import BrandDomain
from .selectors import clean_domain


def probe_config() -> probes.ProbeConfig:
    """The probes' limits and where they look, from settings (README: settings)."""

    def s(name: str, default: Any) -> Any:
        return getattr(settings, name, default)

    return probes.ProbeConfig(
        nameservers=tuple(s("DOMAINS_DNS_NAMESERVERS", ())),
        dns_port=int(s("DOMAINS_DNS_PORT", 53)),
        timeout=float(s("DOMAINS_TIMEOUT", 5.0)),
        https_port=int(s("DOMAINS_HTTPS_PORT", 443)),
        ca_bundle=s("DOMAINS_CA_BUNDLE", ""),
        allow_private=bool(s("DOMAINS_ALLOW_PRIVATE_ADDRESSES", False)),
        max_bytes=int(s("DOMAINS_MAX_BYTES", 1024)),
    )


def _new_token() -> str:
    return secrets.token_hex(16)


@transaction.atomic
def brand_domains_sync(*, business: Business) -> list[BrandDomain]:
    """A row (with its own token) for every domain the business lists; idempotent."""
    listed = list(dict.fromkeys(clean_domain(d) for d in business.brand_domains or [] if d.strip()))
    have = set(
        BrandDomain.objects.filter(business=business, domain__in=listed).values_list(
            "domain", flat=True
        )
    )
    BrandDomain.objects.bulk_create(
        [
            BrandDomain(business=business, domain=d, token=_new_token())
            for d in listed
            if d not in have
        ],
        ignore_conflicts=True,  # two tabs opening the page at once
    )
    return list(BrandDomain.objects.filter(business=business, domain__in=listed))


def brand_domain_check(
    *, domain: BrandDomain, actor: User | None, ip: str | None = None
) -> BrandDomain:
    """Look for the proof now: the DNS record first, then the file. Network calls happen
    outside any transaction; the result is recorded (and audited when it verifies)."""
    if domain.status == BrandDomain.Status.VERIFIED:
        return domain
    # "Check now" pressed again and again must not make us hammer someone's DNS and site
    pause = float(getattr(settings, "DOMAINS_CHECK_INTERVAL", 10.0))
    if domain.last_checked_at and timezone.now() - domain.last_checked_at < timedelta(
        seconds=pause
    ):
        return domain
    config = probe_config()
    result = probes.dns_probe(domain=domain.domain, token=domain.token, config=config)
    if not result.ok:
        by_file = probes.file_probe(domain=domain.domain, token=domain.token, config=config)
        result = (
            by_file
            if by_file.ok
            else probes.ProbeResult(False, "", f"{result.message} {by_file.message}")
        )
    with transaction.atomic():
        row = BrandDomain.objects.select_for_update().get(pk=domain.pk)
        row.last_checked_at = timezone.now()
        row.last_result = result.message[:2000]
        fields = ["last_checked_at", "last_result"]
        if result.ok and row.status != BrandDomain.Status.VERIFIED:
            row.status = BrandDomain.Status.VERIFIED
            row.method = result.method
            row.verified_at = row.last_checked_at
            row.verified_by = actor if actor is not None and actor.is_authenticated else None
            fields += ["status", "method", "verified_at", "verified_by"]
            audit_record(
                action="campaigns.domain.verified",
                obj=row,
                actor=actor,
                business=row.business,
                detail={"domain": row.domain, "method": result.method},
                ip=ip,
            )
        row.save(update_fields=fields)
    return row


@transaction.atomic
def brand_domain_verify_by_staff(
    *, domain: BrandDomain, reason: str, actor: User, ip: str | None = None
) -> BrandDomain:
    """Compliance staff confirm a domain by hand (e.g. from registry or WHOIS records)."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    row = BrandDomain.objects.select_for_update().get(pk=domain.pk)
    if row.status == BrandDomain.Status.VERIFIED:
        raise Conflict("This domain is already verified.")
    row.status = BrandDomain.Status.VERIFIED
    row.method = BrandDomain.Method.STAFF
    row.verified_at = timezone.now()
    row.verified_by = actor
    row.staff_reason = reason
    row.save(update_fields=["status", "method", "verified_at", "verified_by", "staff_reason"])
    audit_record(
        action="campaigns.domain.verified",
        obj=row,
        actor=actor,
        business=row.business,
        detail={"domain": row.domain, "method": "staff", "reason": reason},
        ip=ip,
    )
    return row


@transaction.atomic
def brand_domain_revoke(
    *, domain: BrandDomain, reason: str, actor: User, ip: str | None = None
) -> BrandDomain:
    """Staff withdraw a verification (the domain changed hands, a mistake): links to it stop
    passing at once, and a new token is issued for the next proof."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    row = BrandDomain.objects.select_for_update().get(pk=domain.pk)
    if row.status != BrandDomain.Status.VERIFIED:
        raise Conflict("This domain is not verified.")
    row.status = BrandDomain.Status.PENDING
    row.method = ""
    row.verified_at = None
    row.verified_by = None
    row.staff_reason = reason
    row.token = _new_token()
    row.save()
    audit_record(
        action="campaigns.domain.revoked",
        obj=row,
        actor=actor,
        business=row.business,
        detail={"domain": row.domain, "reason": reason},
        ip=ip,
    )
    return row
