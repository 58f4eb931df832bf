"""Billing reads: the price in force, standing and the cap as the send path sees them,
invoices and usage for the portal, balances for staff."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Business

from . import money
from .errors import NotFound, PaymentRequired
from .models import (
    BillingAccount,
    CreditNote,
    Invoice,
    Plan,
    PriceVersion,
    SpendMonth,
    SpendReservation,
    UsageKind,
    UsageRecord,
)


def price_for(*, plan: Plan, period: date) -> PriceVersion:
    """The version in force at the start of ``period``: it prices the whole period."""
    version = plan.versions.filter(effective_from__lte=period).order_by("-effective_from").first()
    if version is None:
        raise NotFound(f"The plan {plan} has no price for {period:%Y-%m}.")
    return version


def account_of(*, business: Business) -> BillingAccount | None:
    return BillingAccount.objects.select_related("plan").filter(business=business).first()


def cap_cost(*, price: PriceVersion, segments: int, mms: int) -> int:
    """What ``segments`` and ``mms`` in one period add to its bill, in cents (the cap's
    measure: the invoice's SMS and MMS lines)."""
    return money.messages_cost(
        segments=segments,
        mms=mms,
        included_segments=price.included_segments,
        segment_subcents=price.sms_segment_subcents,
        mms_subcents=price.mms_subcents,
    )


@dataclass(frozen=True)
class Spend:
    period: date
    cents: int  # what dispatch reserved this period (messages sent or on their way)
    cap_cents: int | None


def spend_of(*, account: BillingAccount, now: datetime | None = None) -> Spend:
    period = money.period_of(now or timezone.now())
    row = SpendMonth.objects.filter(business_id=account.business_id, period=period).first()
    price = price_for(plan=account.plan, period=period)
    cents = cap_cost(price=price, segments=row.segments, mms=row.mms) if row else 0
    return Spend(period, cents, account.monthly_cap_cents)


def standing_key(business_id: int) -> str:
    return f"billing:standing:{business_id}"


def standing_forget(business_id: int) -> None:
    """Drop the cached standing (every service that changes standing, cap or plan calls
    it, after its transaction commits)."""
    cache.delete(standing_key(business_id))


# The standing read in a statement the request makes anyway (the send API's key with its
# business: messaging.selectors.api_key_contact_and_number_find): no round trip of its own.
_STANDING_FIELDS = ("standing", "pause_reason", "monthly_cap_cents", "plan_id")
STANDING_WIDTH = len(_STANDING_FIELDS)
_READ_WITH_BUSINESS = "_billing_standing_read"


def standing_join(*, alias: str, business: str) -> tuple[str, str]:
    """The SELECT list and the outer join that read the standing of the business whose id
    is the SQL ``business``, for ``standing_attach``."""
    table = connection.ops.quote_name(BillingAccount._meta.db_table)
    columns = ", ".join(f"{alias}.{connection.ops.quote_name(f)}" for f in _STANDING_FIELDS)
    return columns, f"LEFT JOIN {table} {alias} ON {alias}.business_id = {business}"


def standing_attach(business: Business, values) -> None:
    """Give ``business`` (this request's instance) the standing read with it: ``send_refusal``
    answers from it (as exact as the database then, unlike the cache) instead of asking."""
    row = None if values[0] is None else tuple(values)  # no account: all NULL
    setattr(business, _READ_WITH_BUSINESS, (row,))


def _standing(
    business: Business, *, cached: bool = True
) -> tuple[str, str, int | None, int | None] | None:
    """(standing, pause reason, cap, plan id), cached: the send API asks on every send
    and must not pay a statement for it (tests/messaging/test_request_cost.py). The drain
    asks the database (once per claim: exact, and as many statements whatever the size)."""
    read = getattr(business, _READ_WITH_BUSINESS, None)
    if read is not None and cached:
        return read[0]
    key = standing_key(business.pk)
    found = cache.get(key) if cached else None
    if found is not None:
        return found[0]
    row = (
        BillingAccount.objects.filter(business=business)
        .values_list("standing", "pause_reason", "monthly_cap_cents", "plan_id")
        .first()
    )
    cache.set(key, (row,), settings.BILLING_STANDING_CACHE_SECONDS)
    return row


def send_refusal(
    *, business: Business, now: datetime | None = None, cached: bool = True
) -> PaymentRequired | None:
    """Why this business may not send now (the error a send raises: 402), or None.
    Paused for non-payment; or the month's spending cap is reached (not even one more
    segment fits). The dispatch gate enforces the cap exactly; this is the early answer."""
    row = _standing(business, cached=cached)
    if row is None:
        return None
    standing, reason, cap, plan_id = row
    if standing == BillingAccount.Standing.PAUSED:
        return PaymentRequired(
            pause_text(reason),
            code="billing_paused",
            detail={"billing_url": reverse("billing:overview")},
        )
    if cap is not None:
        period = money.period_of(now or timezone.now())
        month = SpendMonth.objects.filter(business=business, period=period).first()
        price = price_for(plan=Plan(pk=plan_id), period=period)
        segments, mms = (month.segments, month.mms) if month else (0, 0)
        if cap_cost(price=price, segments=segments + 1, mms=mms) > cap:
            return PaymentRequired(
                f"This month's spending cap of {money.format_cents(cap)} is reached: sending "
                "resumes next month, or as soon as an owner raises the cap on the Billing page.",
                code="spending_cap_reached",
                detail={
                    "cap_cents": cap,
                    "spent_cents": cap_cost(price=price, segments=segments, mms=mms),
                    "billing_url": reverse("billing:overview"),
                },
            )
    return None


def pause_text(reason: str) -> str:
    return (
        f"Sending is paused: {reason} Pay on the Billing page and sending resumes at once. "
        "Nothing has been deleted."
    )


def pause_message(account: BillingAccount) -> str:
    return pause_text(account.pause_reason)


def notice_for(*, business: Business) -> dict | None:
    """The banner every portal page shows while the account is past due or paused."""
    account = account_of(business=business)
    if account is None or account.standing == BillingAccount.Standing.ACTIVE:
        return None
    if account.standing == BillingAccount.Standing.PAUSED:
        return {"level": "error", "text": pause_message(account)}
    grace_ends = account.past_due_since + settings.BILLING_GRACE_PERIOD  # type: ignore[operator]
    return {
        "level": "warn",
        "text": (
            f"A payment failed. Sending continues until {grace_ends:%Y-%m-%d %H:%M} UTC; "
            "after that it is paused until the invoice is paid. Pay on the Billing page."
        ),
    }


def invoices_for(*, business: Business) -> QuerySet[Invoice]:
    return Invoice.objects.filter(business=business).order_by("-period_start", "-id")


def invoice_get(*, business: Business, invoice_uuid) -> Invoice:
    invoice = (
        Invoice.objects.filter(business=business, uuid=invoice_uuid)
        .prefetch_related("lines", "credit_notes")
        .first()
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def unpaid_invoices(*, business: Business) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        business=business, status__in=[Invoice.Status.ISSUED, Invoice.Status.FAILED]
    ).order_by("period_start", "id")


def usage_totals(*, business: Business, period: date) -> dict[str, dict]:
    """Per kind: the quantity and at-cost amount recorded in ``period`` (not waived)."""
    rows = (
        UsageRecord.objects.filter(business=business, period=period, waived_at__isnull=True)
        .values("kind")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount_cents"), records=Count("id"))
    )
    return {
        r["kind"]: {"quantity": r["quantity"], "amount": r["amount"] or 0, "records": r["records"]}
        for r in rows
    }


def usage_fines(*, business: Business, period: date | None = None) -> QuerySet[UsageRecord]:
    qs = UsageRecord.objects.filter(business=business, kind=UsageKind.CARRIER_FINE)
    return qs.filter(period=period) if period else qs


def balance_cents(*, business: Business) -> int:
    """What the business owes: issued or failed invoices, less their credit notes."""
    agg = Invoice.objects.filter(
        business=business, status__in=[Invoice.Status.ISSUED, Invoice.Status.FAILED]
    ).aggregate(total=Sum("total_cents"), credited=Sum("credited_cents"))
    return max(0, (agg["total"] or 0) - (agg["credited"] or 0))


def balances() -> QuerySet[BillingAccount]:
    """Every account with what it owes (staff's admin list)."""
    open_ = Q(business__invoices__status__in=[Invoice.Status.ISSUED, Invoice.Status.FAILED])
    return BillingAccount.objects.select_related("business", "plan").annotate(
        owed=Sum(
            F("business__invoices__total_cents") - F("business__invoices__credited_cents"),
            filter=open_,
        )
    )


def credit_notes_for(*, business: Business) -> QuerySet[CreditNote]:
    return CreditNote.objects.filter(business=business).select_related("invoice")


def reservations_open(*, before: datetime, limit: int = 5000) -> list[tuple[int, str]]:
    """(business id, key) of spending-cap reservations still held, made before ``before``
    (the release sweep asks the sending app which of them ended unsent)."""
    return list(
        SpendReservation.objects.filter(released_at__isnull=True, created_at__lt=before)
        .order_by("created_at")
        .values_list("business_id", "key")[:limit]
    )


def usage_by_key(*, business: Business, source_key: str) -> UsageRecord | None:
    return (
        UsageRecord.objects.select_related("invoice")
        .filter(business=business, source_key=source_key)
        .first()
    )


def unit_prices(*, business: Business, now: datetime | None = None) -> tuple[int, int]:
    """(per SMS segment, per MMS) in hundredths of a cent, as this business is billed now
    (its plan's version in force; the default plan's before it has an account): what the
    composer shows when it explains the MMS price."""
    period = money.period_of(now or timezone.now())
    account = account_of(business=business)
    plan = (
        account.plan if account else Plan.objects.filter(slug=settings.BILLING_DEFAULT_PLAN).first()
    )
    if plan is None:
        return (0, 0)
    price = price_for(plan=plan, period=period)
    return (price.sms_segment_subcents, price.mms_subcents)
