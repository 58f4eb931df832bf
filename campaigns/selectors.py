"""Reads of the campaigns app. Ids from requests are resolved here, scoped by business."""

import uuid
from dataclasses import dataclass
from functools import cache

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Q, QuerySet

from accounts.db import columns, instance, width
from accounts.errors import NotFound
from accounts.models import Business

from . import tcr, throughput
from .models import Brand, Campaign, CampaignStatusChange, PhoneNumber


@dataclass(frozen=True)
class SendPermission:
    allowed: bool
    code: str
    message: str
    campaign: Campaign | None = None


def number_send_permission(
    *, business: Business, number: PhoneNumber, kind: str, automated: bool
) -> SendPermission:
    """May ``number`` send a message of ``kind`` for ``business`` now? The first failing
    rule answers, with a machine code and a sentence (codes in contracts.md)."""
    campaign = number.campaign if number.business_id == business.pk else None
    if number.business_id != business.pk:
        return SendPermission(
            False, "wrong_business", "This number belongs to another business.", None
        )
    if not business.can_send:
        return SendPermission(
            False,
            "business_not_approved",
            f"The business is not approved to send (vetting: {business.vetting_status}).",
            campaign,
        )
    if number.status != PhoneNumber.Status.ACTIVE:
        return SendPermission(
            False, "number_inactive", f"The number {number.e164} is {number.status}.", campaign
        )
    if campaign is None:
        return SendPermission(
            False,
            "number_unassigned",
            f"The number {number.e164} is not on a registered campaign.",
            None,
        )
    if campaign.status != Campaign.Status.APPROVED:
        return SendPermission(
            False,
            "campaign_not_approved",
            f"The number's campaign is {campaign.get_status_display().lower()}, not approved.",
            campaign,
        )
    if automated and not campaign.automated:
        return SendPermission(
            False,
            "campaign_not_automated",
            "Automated messages need a campaign registered for automated messaging.",
            campaign,
        )
    if kind not in campaign.kinds:
        allowed = ", ".join(sorted(campaign.kinds)) or "none"
        return SendPermission(
            False,
            "kind_not_in_usecase",
            f"A {kind} message is not covered by the campaign's use case "
            f"{campaign.usecase} (it covers: {allowed}).",
            campaign,
        )
    return SendPermission(True, "ok", "The number may send this message.", campaign)


# --- numbers ------------------------------------------------------------------------------


def phone_number_for_e164(*, e164: str) -> PhoneNumber | None:
    """The live (not released) number, for inbound routing; its business is the tenant."""
    return (
        PhoneNumber.objects.select_related("business", "campaign", "campaign__brand")
        .filter(e164=e164)
        .exclude(status=PhoneNumber.Status.RELEASED)
        .first()
    )


def phone_number_get(*, business: Business, number_uuid) -> PhoneNumber:
    try:
        return PhoneNumber.objects.select_related("campaign", "campaign__brand").get(
            business=business, uuid=number_uuid
        )
    except (PhoneNumber.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def phone_number_with_campaign_get(*, business: Business, number_uuid) -> PhoneNumber:
    """The business's number with its campaign (what the number gate reads), in one
    statement written once per process: a send through the API asks it. Not found (missing,
    another business's, a malformed id) raises ``NotFound``."""
    try:
        key = number_uuid if isinstance(number_uuid, uuid.UUID) else uuid.UUID(str(number_uuid))
    except ValueError:
        raise NotFound() from None
    with connection.cursor() as cursor:
        cursor.execute(_number_with_campaign_sql(), [business.pk, key])
        row = cursor.fetchone()
    if row is None:
        raise NotFound()
    n = width(PhoneNumber)
    number = instance(PhoneNumber, row[:n])
    # a number on no campaign: NULL columns of the outer join
    number.campaign = None if row[n] is None else instance(Campaign, row[n:])
    return number


@cache
def _number_with_campaign_sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {columns(PhoneNumber, 'n')}, {columns(Campaign, 'c')} "  # noqa: S608 - our names
        f"FROM {quote(PhoneNumber._meta.db_table)} n "
        f"LEFT JOIN {quote(Campaign._meta.db_table)} c ON c.id = n.campaign_id "
        "WHERE n.business_id = %s AND n.uuid = %s"
    )


def phone_numbers_for_sending(*, business: Business) -> QuerySet[PhoneNumber]:
    """Active numbers on approved campaigns of the business."""
    return PhoneNumber.objects.select_related("campaign").filter(
        business=business,
        status=PhoneNumber.Status.ACTIVE,
        campaign__status=Campaign.Status.APPROVED,
        campaign__business=business,
    )


def phone_number_list(*, business: Business, include_released: bool = False):
    qs = PhoneNumber.objects.select_related("campaign", "campaign__brand").filter(business=business)
    if not include_released:
        qs = qs.exclude(status=PhoneNumber.Status.RELEASED)
    return qs.order_by("e164")


def live_number_count(*, campaign: Campaign) -> int:
    return campaign.numbers.exclude(status=PhoneNumber.Status.RELEASED).count()


# --- brands and campaigns -----------------------------------------------------------------


def brand_list(*, business: Business) -> QuerySet[Brand]:
    return Brand.objects.filter(business=business).order_by("-created_at", "-id")


def brand_get(*, business: Business, brand_uuid) -> Brand:
    try:
        return Brand.objects.get(business=business, uuid=brand_uuid)
    except (Brand.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def campaign_list(*, business: Business) -> QuerySet[Campaign]:
    return (
        Campaign.objects.filter(business=business)
        .select_related("brand")
        .annotate(
            number_count=Count("numbers", filter=~Q(numbers__status=PhoneNumber.Status.RELEASED))
        )
        .order_by("-created_at", "-id")
    )


def campaign_get(*, business: Business, campaign_uuid) -> Campaign:
    try:
        return Campaign.objects.select_related("brand").get(business=business, uuid=campaign_uuid)
    except (Campaign.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound() from None


def campaigns_assignable(*, business: Business) -> QuerySet[Campaign]:
    return Campaign.objects.filter(business=business, status=Campaign.Status.APPROVED).order_by(
        "-approved_at"
    )


def campaign_history(*, campaign: Campaign) -> QuerySet[CampaignStatusChange]:
    return CampaignStatusChange.objects.filter(
        business_id=campaign.business_id, campaign=campaign
    ).select_related("actor")


def campaigns_review_queue() -> QuerySet[Campaign]:
    """Staff's queue: campaigns waiting for a decision by our team (manual registrar)."""
    return (
        Campaign.objects.filter(
            registrar="manual",
            status__in=[
                Campaign.Status.SUBMITTED,
                Campaign.Status.REVIEW,
                Campaign.Status.APPEALED,
            ],
        )
        .select_related("brand", "business")
        .order_by("submitted_at", "id")
    )


def campaigns_to_poll() -> QuerySet[Campaign]:
    """Campaigns at the registry whose outcome is not known yet, or whose hand-off failed."""
    waiting = Q(
        status__in=[Campaign.Status.SUBMITTED, Campaign.Status.REVIEW, Campaign.Status.APPEALED]
    )
    return Campaign.objects.filter(waiting, registrar="tcr").select_related("brand")


def brands_to_poll() -> QuerySet[Brand]:
    return Brand.objects.filter(registrar="tcr", status=Brand.Status.REGISTRATION_PENDING)


def business_readiness(*, business: Business) -> dict:
    """What the dashboard's three campaign steps need, in three queries."""
    brand_ok = Brand.objects.filter(business=business, status=Brand.Status.OK).exists()
    approved = Campaign.objects.filter(business=business, status=Campaign.Status.APPROVED)
    return {
        "brand_ok": brand_ok,
        "brand_any": brand_ok or Brand.objects.filter(business=business).exists(),
        "campaign_approved": approved.exists(),
        "number_ready": phone_numbers_for_sending(business=business).exists(),
    }


def campaign_sent_for_registration(*, business: Business) -> bool:
    """A campaign of the business is with the reviewers or past them (the wizard's step 2 is
    done; step 3, approval, may still be waiting)."""
    S = Campaign.Status
    return Campaign.objects.filter(
        business=business, status__in=[S.SUBMITTED, S.REVIEW, S.APPEALED, S.APPROVED]
    ).exists()


def usecase_allows(*, campaign: Campaign, kind: str) -> bool:
    return kind in tcr.kinds_for(campaign.usecase, campaign.sub_usecases)


def carrier_limits(*, campaign: Campaign) -> throughput.Limits:
    """The carriers' limits on ``campaign`` (AT&T TPM) and its brand (T-Mobile daily cap):
    the registrar's reported figures where it gave them, else the table's defaults."""
    brand = campaign.brand
    return throughput.limits_for(
        usecase=campaign.usecase,
        sole_proprietor=brand.is_sole_proprietor,
        vetting_score=brand.vetting_score,
        reported_class=campaign.att_message_class,
        reported_tpm=campaign.att_tpm,
        reported_tier=brand.tmobile_tier,
        reported_daily=brand.tmobile_daily_cap,
    )
