"""Carrier fines/fees/penalties and account restrictions: services and selectors.

``rate_limit_for`` is on the send path's hot loop (once per drained batch): it reads a
cached answer, invalidated on every restriction change, so a new restriction bites at the
next batch; time-limited restrictions bound the cache's lifetime by their end.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.billing import services as billing_services
from accounts.billing.models import UsageKind
from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record, business_set_vetting

from .penalty_models import CarrierPenalty, Restriction

RATE_CACHE_TTL = 30  # seconds; writes invalidate at once, this only bounds a missed delete
_NONE = "none"


def _rate_key(business_id: int) -> str:
    return f"policies:ratelimit:{business_id}"


# --- selectors -----------------------------------------------------------------------------


def restrictions_in_force(*, business: Business, now: datetime | None = None) -> QuerySet:
    now = now or timezone.now()
    return Restriction.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now),
        business=business,
        lifted_at__isnull=True,
        starts_at__lte=now,
    ).order_by("-starts_at", "-id")


def restriction_history(*, business: Business) -> QuerySet[Restriction]:
    return Restriction.objects.filter(business=business).order_by("-starts_at", "-id")


def restriction_get(*, business: Business, restriction_uuid) -> Restriction:
    row = Restriction.objects.filter(business=business, uuid=restriction_uuid).first()
    if row is None:
        raise NotFound()
    return row


def penalty_list(*, business: Business) -> QuerySet[CarrierPenalty]:
    return CarrierPenalty.objects.filter(business=business).order_by("-incurred_on", "-id")


def penalty_totals(*, business: Business) -> dict[str, Decimal]:
    """Net amount per currency (credits subtract)."""
    totals: dict[str, Decimal] = {}
    for p in penalty_list(business=business).only("kind", "amount", "currency"):
        totals[p.currency] = totals.get(p.currency, Decimal("0")) + p.signed_amount
    return totals


def _strictest(rows) -> tuple[int, float] | None:
    best = None
    for limit, window in rows:
        # lower rate wins; at equal rates the smaller burst (limit) is stricter
        key = (limit / window, limit)
        if best is None or key < best[0]:
            best = (key, (int(limit), float(window)))
    return best[1] if best else None


def rate_limit_for(*, business_id: int) -> tuple[int, float] | None:
    """The strictest reduced throughput in force for the business: (segments, window in
    seconds) per originating number, or None when none applies. Cached; cheap."""
    key = _rate_key(business_id)
    hit = cache.get(key)
    if hit is not None:
        return None if hit == _NONE else (int(hit[0]), float(hit[1]))
    now = timezone.now()
    rows = list(
        Restriction.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now),
            business_id=business_id,
            kind=Restriction.Kind.THROUGHPUT,
            lifted_at__isnull=True,
        ).values_list("limit", "window", "starts_at", "ends_at")
    )
    live = [(lim, win) for lim, win, start, _ in rows if start <= now]
    answer = _strictest(live)
    # the answer changes by itself when a live one ends or a scheduled one starts
    changes = [e for _, _, _, e in rows if e is not None] + [s for _, _, s, _ in rows if s > now]
    ttl = RATE_CACHE_TTL
    if changes:
        ttl = max(1, min(ttl, int((min(changes) - now).total_seconds()) + 1))
    cache.set(key, _NONE if answer is None else list(answer), ttl)
    return answer


def _invalidate(business_id: int) -> None:
    cache.delete(_rate_key(business_id))
    # and once more after commit, so a reader between delete and commit cannot re-cache
    transaction.on_commit(lambda: cache.delete(_rate_key(business_id)))


# --- services ------------------------------------------------------------------------------


def penalty_validate(
    *,
    business: Business | None,
    kind: str,
    carrier: str,
    carrier_reference: str,
    amount,
    currency: str,
    description: str,
    offsets: CarrierPenalty | None = None,
) -> dict[str, list[str]]:
    """Field errors of a ledger entry ({} when valid); the admin form shows them."""
    errors: dict[str, list[str]] = {}
    if kind not in CarrierPenalty.Kind.values:
        errors["kind"] = ["Choose fine, fee, penalty or credit."]
    if not (carrier or "").strip():
        errors["carrier"] = ["Name the carrier."]
    if not (carrier_reference or "").strip():
        errors["carrier_reference"] = ["The carrier's reference is required."]
    if amount is None or Decimal(amount) <= 0:
        errors["amount"] = ["The amount must be more than zero."]
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = ["A three-letter currency code, e.g. USD."]
    if not (description or "").strip():
        errors["description"] = ["Say what happened; the business reads this."]
    if kind == CarrierPenalty.Kind.CREDIT:
        if offsets is None:
            errors["offsets"] = ["A credit names the entry it waives or refunds."]
        elif (
            business is not None and offsets.business_id != business.pk
        ) or offsets.kind == CarrierPenalty.Kind.CREDIT:
            errors["offsets"] = ["Pick a fine, fee or penalty of this business."]
    elif offsets is not None:
        errors["offsets"] = ["Only a credit offsets another entry."]
    return errors


def penalty_record(
    *,
    business: Business,
    kind: str,
    carrier: str,
    carrier_reference: str,
    amount: Decimal,
    currency: str = "USD",
    incurred_on,
    description: str,
    evidence: str = "",
    offsets: CarrierPenalty | None = None,
    actor: User | None,
    ip: str | None = None,
) -> CarrierPenalty:
    """Add an entry to the business's carrier penalty ledger (append-only), audited."""
    errors = penalty_validate(
        business=business,
        kind=kind,
        carrier=carrier,
        carrier_reference=carrier_reference,
        amount=amount,
        currency=currency,
        description=description,
        offsets=offsets,
    )
    currency = currency.strip().upper()
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        entry = CarrierPenalty.objects.create(
            business=business,
            kind=kind,
            carrier=carrier.strip(),
            carrier_reference=carrier_reference.strip(),
            amount=Decimal(amount),
            currency=currency,
            incurred_on=incurred_on,
            description=description.strip(),
            evidence=evidence,
            offsets=offsets,
            recorded_by=actor,
        )
        audit_record(
            action=f"policies.penalty.{kind.lower()}",
            obj=entry,
            actor=actor,
            business=business,
            detail={
                "carrier": entry.carrier,
                "carrier_reference": entry.carrier_reference,
                "amount": str(entry.amount),
                "currency": entry.currency,
                "incurred_on": str(entry.incurred_on),
                "offsets": str(offsets.uuid) if offsets else None,
            },
            ip=ip,
        )
        _report_to_billing(entry, actor)
    return entry


def _report_to_billing(entry: CarrierPenalty, actor: User | None) -> None:
    """Fines, fees and penalties are passed through to the business at cost on its next
    invoice (accounts.billing), named as such; a credit undoes the entry it offsets."""
    cents = int((entry.amount * 100).to_integral_value())
    if entry.kind != CarrierPenalty.Kind.CREDIT:
        billing_services.usage_record_many(
            business_id=entry.business_id,
            items=[
                billing_services.Usage(
                    f"penalty:{entry.uuid}",
                    UsageKind.CARRIER_FINE,
                    timezone.now(),
                    1,
                    cents,
                    f"{entry.carrier} {entry.get_kind_display().lower()} "
                    f"{entry.carrier_reference}: {entry.description}",
                    entry.currency,
                )
            ],
        )
        return
    assert entry.offsets is not None  # penalty_validate: a credit names its entry
    record = billing_selectors.usage_by_key(
        business=entry.business, source_key=f"penalty:{entry.offsets.uuid}"
    )
    if record is not None:
        billing_services.fine_credit(
            record=record, amount_cents=cents, reason=entry.description, actor=actor
        )


def _audit_restriction(action: str, row: Restriction, actor, ip, **extra) -> None:
    audit_record(
        action=action,
        obj=row,
        actor=actor,
        business=row.business,
        detail={
            "kind": row.kind,
            "limit": row.limit,
            "window": row.window,
            "campaign": str(row.campaign_uuid) if row.campaign_uuid else None,
            "reason": row.reason,
            "penalty": str(row.penalty.uuid) if row.penalty is not None else None,
            **extra,
        },
        ip=ip,
    )


def restriction_validate(
    *,
    business: Business | None,
    kind: str,
    reason: str,
    remedy: str,
    limit: int | None = None,
    window: float | None = None,
    campaign_uuid=None,
    penalty: CarrierPenalty | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> dict[str, list[str]]:
    """Field errors of a restriction ({} when valid); the admin form shows them."""
    K = Restriction.Kind
    errors: dict[str, list[str]] = {}
    if kind not in K.values:
        errors["kind"] = ["Unknown restriction."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why; the business reads this."]
    if not (remedy or "").strip():
        errors["remedy"] = ["Say what the business should do."]
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ["The end must be after the start."]
    if kind == K.THROUGHPUT:
        if not window or window <= 0:
            errors["window"] = ["A window in seconds, e.g. 60."]
        if not limit or limit < 1:
            errors["limit"] = ["At least 1 segment per window."]
        elif (
            window
            and limit / window >= settings.MESSAGING_RATE_LIMIT / settings.MESSAGING_RATE_WINDOW
        ):
            errors["limit"] = [
                f"Not a reduction: the platform cap is {settings.MESSAGING_RATE_LIMIT} "
                f"per {settings.MESSAGING_RATE_WINDOW:g} s."
            ]
    if kind == K.CAMPAIGN_SUSPENSION and not campaign_uuid:
        errors["campaign"] = ["Pick the campaign to suspend."]
    if penalty is not None and business is not None and penalty.business_id != business.pk:
        errors["penalty"] = ["That entry belongs to another business."]
    if (
        kind == K.TERMINATION
        and business is not None
        and (business.vetting_status == Business.Vetting.TERMINATED)
    ):
        errors["kind"] = ["This business is already terminated."]
    return errors


@transaction.atomic
def restriction_apply(
    *,
    business: Business,
    kind: str,
    reason: str,
    remedy: str,
    actor: User | None,
    limit: int | None = None,
    window: float | None = None,
    campaign_uuid=None,
    campaign_label: str = "",
    penalty: CarrierPenalty | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    ip: str | None = None,
) -> Restriction:
    """Apply a restriction, audited. Account suspension and termination move the vetting
    state here (accounts' service); a campaign suspension is made by the caller through the
    campaigns service first (policies never imports campaigns) and recorded here."""
    K = Restriction.Kind
    starts_at = starts_at or timezone.now()
    if kind != K.THROUGHPUT:
        limit = window = None
    errors = restriction_validate(
        business=business,
        kind=kind,
        reason=reason,
        remedy=remedy,
        limit=limit,
        window=window,
        campaign_uuid=campaign_uuid,
        penalty=penalty,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    if errors:
        raise ValidationFailed(fields=errors)
    if kind in (K.ACCOUNT_SUSPENSION, K.TERMINATION):
        target = (
            Business.Vetting.SUSPENDED
            if kind == K.ACCOUNT_SUSPENSION
            else Business.Vetting.TERMINATED
        )
        if business.vetting_status != target:  # already there: record the restriction only
            business_set_vetting(
                business=business, to_status=target, reason=reason.strip(), actor=actor, ip=ip
            )
            business.refresh_from_db()
    row = Restriction.objects.create(
        business=business,
        kind=kind,
        limit=limit,
        window=window,
        campaign_uuid=campaign_uuid,
        campaign_label=campaign_label,
        penalty=penalty,
        reason=reason.strip(),
        remedy=remedy.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
    )
    _audit_restriction(f"policies.restriction.apply.{kind.lower()}", row, actor, ip)
    _invalidate(business.pk)
    return row


@transaction.atomic
def restriction_lift(
    *, restriction: Restriction, reason: str, actor: User | None, ip: str | None = None
) -> Restriction:
    """Lift a restriction, audited. Lifting an account suspension reinstates the business
    (accounts' service); a campaign is reinstated by the caller through campaigns first.
    A termination cannot be lifted."""
    row = Restriction.objects.select_for_update().select_related("business").get(pk=restriction.pk)
    if row.lifted_at is not None:
        raise Conflict("This restriction was already lifted.")
    if row.kind == Restriction.Kind.TERMINATION:
        raise Conflict("A termination is final and cannot be lifted.")
    if not (reason or "").strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    if (
        row.kind == Restriction.Kind.ACCOUNT_SUSPENSION
        and row.business.vetting_status == Business.Vetting.SUSPENDED
        and not restrictions_in_force(business=row.business)
        .filter(kind=Restriction.Kind.ACCOUNT_SUSPENSION)
        .exclude(pk=row.pk)
        .exists()
    ):
        business_set_vetting(
            business=row.business,
            to_status=Business.Vetting.APPROVED,
            reason=f"Restriction lifted: {reason.strip()}",
            actor=actor,
            ip=ip,
        )
    row.lifted_at = timezone.now()
    row.lifted_by = actor
    row.lift_reason = reason.strip()
    row.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
    _audit_restriction(
        f"policies.restriction.lift.{row.kind.lower()}", row, actor, ip, lift_reason=row.lift_reason
    )
    _invalidate(row.business_id)
    return row


# --- export --------------------------------------------------------------------------------


def business_export_section(business: Business) -> dict:
    """The business's carrier penalties and restrictions, for its data export."""
    return {
        "carrier_penalties": [
            {
                "uuid": p.uuid,
                "kind": p.kind,
                "carrier": p.carrier,
                "carrier_reference": p.carrier_reference,
                "amount": p.amount,
                "currency": p.currency,
                "incurred_on": p.incurred_on,
                "description": p.description,
                "offsets": p.offsets.uuid if p.offsets is not None else None,
                "recorded_at": p.recorded_at,
            }
            for p in penalty_list(business=business).select_related("offsets")
        ],
        "restrictions": [
            {
                "uuid": r.uuid,
                "kind": r.kind,
                "limit": r.limit,
                "window": r.window,
                "campaign": r.campaign_uuid,
                "reason": r.reason,
                "remedy": r.remedy,
                "starts_at": r.starts_at,
                "ends_at": r.ends_at,
                "lifted_at": r.lifted_at,
                "lift_reason": r.lift_reason,
            }
            for r in restriction_history(business=business)
        ],
    }
