"""Originating numbers: search and rent them at the provider, assign them to an approved
campaign (snowshoeing guard), release them, staff suspend and reinstate them."""

from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from .. import provisioning, rules
from ..errors import CampaignNotApproved, RegistryUnavailable
from ..models import Campaign, PhoneNumber

S = Campaign.Status
NUMBER_POOL_THRESHOLD = 49  # Infobip: at most 49 per campaign; more is a pool (snowshoeing guard)


def phone_number_search(*, business: Business, area_code: str, limit: int = 10) -> list[str]:
    if not (area_code.isdigit() and len(area_code) == 3):
        raise ValidationFailed(fields={"area_code": ["Enter a 3-digit US area code."]})
    try:
        return provisioning.numbers_available(area_code=area_code, limit=min(max(limit, 1), 50))
    except provisioning.ProviderError as exc:
        raise RegistryUnavailable(f"The number provider did not answer: {exc}") from None


def phone_number_provision(
    *, business: Business, e164: str, actor: User | None, ip: str | None = None
) -> PhoneNumber:
    """Rent ``e164`` from the provider and record it (ACTIVE, on no campaign yet)."""
    normalized = rules.normalize_e164(e164 or "")
    if normalized is None or not normalized.startswith("+1"):
        raise ValidationFailed(fields={"number": ["Enter a valid US number, e.g. +12025550123."]})
    if PhoneNumber.objects.filter(e164=normalized).exclude(status="RELEASED").exists():
        raise Conflict("That number is already in use.", fields={"number": ["Already in use."]})
    try:
        result = provisioning.number_provision(e164=normalized)
    except provisioning.NumberTaken:
        raise Conflict(
            "The provider says that number is taken; choose another.",
            fields={"number": ["Taken at the provider; choose another."]},
        ) from None
    except provisioning.ProviderError as exc:
        raise RegistryUnavailable(f"The number provider did not answer: {exc}") from None
    with transaction.atomic():
        number = PhoneNumber.objects.create(
            business=business,
            e164=normalized,
            provider=provisioning.PROVIDER,
            provider_id=result.get("id", ""),
            capabilities=result.get("capabilities") or ["sms"],
        )
        audit_record(
            action="campaigns.number.provision", obj=number, actor=actor, business=business,
            detail={"e164": normalized, "provider_id": number.provider_id}, ip=ip,
        )  # fmt: skip
    return number


@transaction.atomic
def phone_number_assign(
    *, number: PhoneNumber, campaign: Campaign, actor: User | None, ip: str | None = None
) -> PhoneNumber:
    """Put a number on an APPROVED campaign of the same business (one campaign per number)."""
    if campaign.business_id != number.business_id:
        raise NotFound()
    campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
    number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    if number.status != PhoneNumber.Status.ACTIVE:
        raise Conflict(f"A {number.status.lower()} number cannot be assigned.")
    if campaign.status != S.APPROVED:
        raise CampaignNotApproved(
            f"The campaign is {campaign.get_status_display().lower()}; only approved campaigns "
            "get numbers.",
            fields={"campaign": ["The campaign is not approved."]},
        )
    if number.campaign_id == campaign.pk:
        return number
    live = campaign.numbers.exclude(status=PhoneNumber.Status.RELEASED).exclude(pk=number.pk)
    count = live.count()
    if campaign.brand.is_sole_proprietor and count >= 1:
        raise ValidationFailed(
            "A sole proprietor campaign has one number.",
            fields={"campaign": ["A sole proprietor campaign can have only one number."]},
        )
    if count >= NUMBER_POOL_THRESHOLD and not campaign.number_pool:
        raise ValidationFailed(
            "More than 49 numbers on one campaign needs a campaign registered with numberPool.",
            fields={
                "campaign": [
                    "This campaign has 49 numbers; more need a number-pool campaign (numberPool)."
                ]
            },
        )
    previous = number.campaign_id
    number.campaign = campaign
    number.assigned_at = timezone.now()
    number.save(update_fields=["campaign", "assigned_at"])
    audit_record(
        action="campaigns.number.assign", obj=number, actor=actor, business=number.business,
        detail={"campaign": str(campaign.uuid), "previous_campaign_id": previous}, ip=ip,
    )  # fmt: skip
    return number


@transaction.atomic
def phone_number_unassign(
    *, number: PhoneNumber, actor: User | None, ip: str | None = None
) -> PhoneNumber:
    number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    if number.campaign is None:
        return number
    campaign_uuid = str(number.campaign.uuid)
    number.campaign = None
    number.assigned_at = None
    number.save(update_fields=["campaign", "assigned_at"])
    audit_record(
        action="campaigns.number.unassign", obj=number, actor=actor, business=number.business,
        detail={"campaign": campaign_uuid}, ip=ip,
    )  # fmt: skip
    return number


def phone_number_release(
    *, number: PhoneNumber, actor: User | None, ip: str | None = None
) -> PhoneNumber:
    """Give the number back to the provider. The row stays (RELEASED) for message history."""
    if number.status == PhoneNumber.Status.RELEASED:
        return number
    if number.provider == provisioning.PROVIDER:
        try:
            provisioning.number_release(e164=number.e164)
        except provisioning.ProviderError as exc:
            raise RegistryUnavailable(f"The number provider did not answer: {exc}") from None
    with transaction.atomic():
        number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        number.status = PhoneNumber.Status.RELEASED
        number.released_at = timezone.now()
        number.save(update_fields=["status", "released_at"])
        audit_record(
            action="campaigns.number.release", obj=number, actor=actor, business=number.business,
            detail={"e164": number.e164, "campaign_id": number.campaign_id}, ip=ip,
        )  # fmt: skip
    return number


@transaction.atomic
def phone_number_set_status(
    *, number: PhoneNumber, to_status: str, reason: str, actor: User | None
) -> PhoneNumber:
    """Staff suspend or reinstate a number (RELEASED goes through phone_number_release)."""
    if to_status not in (PhoneNumber.Status.ACTIVE, PhoneNumber.Status.SUSPENDED):
        raise ValidationFailed(fields={"status": ["Only ACTIVE or SUSPENDED."]})
    number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    if number.status == PhoneNumber.Status.RELEASED:
        raise Conflict("A released number cannot change status.")
    previous = number.status
    number.status = to_status
    number.save(update_fields=["status"])
    audit_record(
        action=f"campaigns.number.{to_status.lower()}", obj=number, actor=actor,
        business=number.business, detail={"from": previous, "reason": reason},
    )  # fmt: skip
    return number
