"""Metering and the spending cap.

Usage is recorded from the source of truth, by the app that knows it, in the same
transaction as the fact itself: messaging when the carrier accepted a message (the drain
writes SENT and the usage together), campaigns for numbers held per day and for 10DLC
registrations, policies for carrier fines. Each record names its source (``source_key``)
and (business, source_key) is unique: a retry, a recovered claim or a duplicate receipt
records nothing twice (INSERT … ON CONFLICT DO NOTHING).

The cap: the drain reserves each message's segments / MMS against its month
(``spend_reserve``) under the month's counter row lock, in the transaction that claims it,
and refuses what would take the month's message charges past the cap. A message that ends
without the carrier taking it gives its reservation back (``spend_release``).
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Business, User
from accounts.services import audit_record

from .. import defaults, money
from ..errors import ValidationFailed
from ..models import (
    AT_COST_KINDS,
    BillingAccount,
    Plan,
    PriceVersion,
    SpendMonth,
    SpendReservation,
    UsageKind,
    UsageRecord,
)
from ..selectors import cap_cost, price_for, standing_forget


def account_get_or_create(*, business: Business) -> BillingAccount:
    """The business's billing account, made on first use on the default plan."""
    account = BillingAccount.objects.select_related("plan").filter(business=business).first()
    if account is not None:
        return account
    plan = Plan.objects.filter(slug=settings.BILLING_DEFAULT_PLAN).first() or _default_plan()
    BillingAccount.objects.bulk_create(
        [BillingAccount(business=business, plan=plan, currency=plan.currency)],
        ignore_conflicts=True,
    )
    forget_standing(business.pk)
    return BillingAccount.objects.select_related("plan").get(business=business)


def _default_plan() -> Plan:
    """The built-in plan and first prices, when the table is empty (defaults.py)."""
    plan, _ = Plan.objects.get_or_create(slug=defaults.PLAN["slug"], defaults=defaults.PLAN)
    first = dict(defaults.FIRST_PRICES)
    PriceVersion.objects.get_or_create(
        plan=plan, effective_from=first.pop("effective_from"), defaults=first
    )
    return plan


def forget_standing(business_id: int) -> None:
    """The send path's cached standing is dropped now and again once the change commits
    (a send in between may have cached the old one)."""
    standing_forget(business_id)
    transaction.on_commit(lambda: standing_forget(business_id))


# --- metering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """One metered event as the reporting app knows it."""

    source_key: str  # "message:<uuid>", "number:<uuid>:<day>", "penalty:<uuid>", …
    kind: str  # UsageKind
    occurred_at: datetime
    quantity: int = 1
    amount_cents: int | None = None  # at-cost kinds: what the carrier / registry charged
    description: str = ""
    currency: str = "USD"


def usage_record_many(*, business_id: int, items: list[Usage]) -> None:
    """Record ``items`` for one business, each once (a source key already recorded is left
    as it is). Call it in the transaction that makes the fact true, so both commit or
    neither. One INSERT … ON CONFLICT DO NOTHING for the lot (the drain's hot path)."""
    if not items:
        return
    for it in items:
        if it.kind not in UsageKind.values:
            raise ValueError(f"unknown usage kind {it.kind!r}")
        if (it.amount_cents is not None) != (it.kind in AT_COST_KINDS):
            raise ValueError(f"{it.kind}: an amount is given for at-cost kinds, and only them")
    UsageRecord.objects.bulk_create(
        [
            UsageRecord(
                business_id=business_id,
                kind=it.kind,
                quantity=it.quantity,
                amount_cents=it.amount_cents,
                currency=it.currency,
                description=it.description[:200],
                source_key=it.source_key,
                occurred_at=it.occurred_at,
                period=money.period_of(it.occurred_at),
            )
            for it in items
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def message_usage(*, message_uuid, segments: int, mms: bool, accepted_at: datetime) -> Usage:
    """The usage of one message the carrier accepted: its segments, or one MMS."""
    if mms:
        return Usage(f"message:{message_uuid}", UsageKind.MMS, accepted_at, 1)
    return Usage(f"message:{message_uuid}", UsageKind.SMS_SEGMENT, accepted_at, segments)


def pass_through_usage(
    *, business: Business, kind: str, source_key: str, occurred_at: datetime, description: str
) -> Usage:
    """A 10DLC fee at cost, from the price version in force for its period."""
    account = account_get_or_create(business=business)
    price = price_for(plan=account.plan, period=money.period_of(occurred_at))
    amount = {
        UsageKind.BRAND_REGISTRATION: price.brand_registration_cents,
        UsageKind.CAMPAIGN_VETTING: price.campaign_vetting_cents,
        UsageKind.CAMPAIGN_MONTHLY: price.campaign_monthly_cents,
    }[UsageKind(kind)]
    return Usage(source_key, kind, occurred_at, 1, amount, description)


def usage_waive(*, record: UsageRecord, reason: str, actor: User | None) -> UsageRecord:
    """Staff waive a carrier fine not yet invoiced (an invoiced one is corrected with a
    credit note: invoices.fine_waive decides). Audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": ["Say why the fine is waived."]})
    with transaction.atomic():
        UsageRecord.objects.filter(
            pk=record.pk, invoice__isnull=True, waived_at__isnull=True
        ).update(waived_at=timezone.now(), waived_reason=reason[:300])
        record.refresh_from_db()
        audit_record(
            action="billing.fine.waive",
            obj=record,
            actor=actor,
            business=record.business,
            detail={
                "source_key": record.source_key,
                "amount_cents": record.amount_cents,
                "reason": reason,
            },
        )
    return record


# --- the spending cap -------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendItem:
    key: str  # "message:<uuid>", the same key its usage will have
    segments: int
    mms: bool = False


def spend_reserve(*, business_id: int, items: list[SpendItem], now: datetime) -> list[bool]:
    """Reserve ``items`` (in queue order) against this month's cap; returns, per item,
    whether it may go. Must run inside the transaction that claims the messages: the
    month's counter row is locked until it commits. Items already reserved (a re-claim)
    pass without counting twice. Without a cap everything passes and is still counted, so
    a cap set mid-month knows the month so far."""
    if not items:
        return []
    period = money.period_of(now)
    account = BillingAccount.objects.select_related("plan").filter(business_id=business_id).first()
    SpendMonth.objects.bulk_create(
        [SpendMonth(business_id=business_id, period=period)], ignore_conflicts=True
    )
    month = SpendMonth.objects.select_for_update().get(business_id=business_id, period=period)
    held = set(
        SpendReservation.objects.filter(
            business_id=business_id, key__in=[i.key for i in items], released_at__isnull=True
        ).values_list("key", flat=True)
    )
    cap = account.monthly_cap_cents if account is not None else None
    price = price_for(plan=account.plan, period=period) if cap is not None and account else None
    segments, mms = month.segments, month.mms
    answers: list[bool] = []
    new: list[SpendReservation] = []
    stopped = False  # strict queue order: once one does not fit, later ones wait too
    for item in items:
        if item.key in held:
            answers.append(True)
            continue
        add_segments = 0 if item.mms else item.segments
        add_mms = 1 if item.mms else 0
        fits = not stopped and (
            price is None
            or cap is None
            or cap_cost(price=price, segments=segments + add_segments, mms=mms + add_mms) <= cap
        )
        answers.append(fits)
        if not fits:
            stopped = True
            continue
        segments += add_segments
        mms += add_mms
        new.append(
            SpendReservation(
                business_id=business_id,
                period=period,
                key=item.key,
                segments=add_segments,
                mms=add_mms,
                created_at=now,
            )
        )
    if new:
        # A released reservation of the same key is reused (a message re-queued by staff).
        SpendReservation.objects.filter(
            business_id=business_id, key__in=[r.key for r in new], released_at__isnull=False
        ).delete()
        SpendReservation.objects.bulk_create(new)
        SpendMonth.objects.filter(pk=month.pk).update(segments=segments, mms=mms)
    return answers


def spend_release(*, business_id: int, keys: list[str], now: datetime | None = None) -> int:
    """Give back the reservations of messages that ended without the carrier taking them
    (blocked, failed, cancelled, expired). A key with recorded usage was sent: it keeps
    its reservation. Returns how many were released."""
    now = now or timezone.now()
    if not keys:
        return 0
    sent = set(
        UsageRecord.objects.filter(business_id=business_id, source_key__in=keys).values_list(
            "source_key", flat=True
        )
    )
    released = 0
    with transaction.atomic():
        rows = list(
            SpendReservation.objects.select_for_update()
            .filter(business_id=business_id, key__in=[k for k in keys if k not in sent])
            .filter(released_at__isnull=True)
        )
        by_period: dict[date, tuple[int, int]] = {}
        for r in rows:
            s, m = by_period.get(r.period, (0, 0))
            by_period[r.period] = (s + r.segments, m + r.mms)
        for period, (s, m) in sorted(by_period.items()):
            SpendMonth.objects.filter(business_id=business_id, period=period).update(
                segments=F("segments") - s, mms=F("mms") - m
            )
        if rows:
            released = SpendReservation.objects.filter(pk__in=[r.pk for r in rows]).update(
                released_at=now
            )
    return released


def cap_set(*, business: Business, cap_cents: int | None, actor: User | None) -> BillingAccount:
    """The owner's monthly cap on what messages may add to the bill (None: no cap)."""
    if cap_cents is not None and cap_cents < 0:
        raise ValidationFailed(fields={"monthly_cap": ["The cap cannot be negative."]})
    account = account_get_or_create(business=business)
    with transaction.atomic():
        BillingAccount.objects.filter(pk=account.pk).update(
            monthly_cap_cents=cap_cents, updated_at=timezone.now()
        )
        forget_standing(business.pk)
        audit_record(
            action="billing.cap.set",
            obj=account,
            actor=actor,
            business=business,
            detail={"from": account.monthly_cap_cents, "to": cap_cents},
        )
    account.refresh_from_db()
    return account


def billing_email_set(*, business: Business, email: str, actor: User | None) -> BillingAccount:
    account = account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        billing_email=email.strip(), updated_at=timezone.now()
    )
    account.refresh_from_db()
    return account


def price_version_errors(*, effective_from: date, now: datetime) -> dict[str, list[str]]:
    """Why a version may not start then ({} when it may): on the first of a coming month."""
    if effective_from.day != 1:
        return {"effective_from": ["A price version starts on the first day of a month."]}
    if effective_from <= money.period_of(now):
        return {
            "effective_from": [
                "Prices change from the next period on: pick the first day of a coming month."
            ]
        }
    return {}


def price_version_create(
    *, plan: Plan, effective_from: date, actor: User | None, now: datetime | None = None, **prices
) -> PriceVersion:
    """A new version of ``plan``'s prices from a future period on (never one that has
    started: prices never change retroactively). Audited."""
    errors = price_version_errors(effective_from=effective_from, now=now or timezone.now())
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        version = PriceVersion.objects.create(
            plan=plan, effective_from=effective_from, created_by=actor, **prices
        )
        audit_record(
            action="billing.price.create",
            obj=version,
            actor=actor,
            detail={"plan": plan.slug, "effective_from": str(effective_from), **prices},
        )
    return version
