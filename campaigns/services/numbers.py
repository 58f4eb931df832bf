"""Originating numbers: search and rent them at the provider, assign them to an approved
campaign (snowshoeing guard), release them, staff suspend and reinstate them."""

from django.db import transaction
from django.utils import timezone

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from .. import provisioning, rules, webhook_events
from ..errors import CampaignNotApproved, RegistryUnavailable
from ..models import Campaign, PhoneNumber

S = Campaign.Status
NUMBER_POOL_THRESHOLD = 49  # Infobip: at most 49 per campaign; more is a pool (snowshoeing guard)


def _refused(exc: provisioning.ProviderRefused) -> ValidationFailed:
    """The provider's refusal, next to the field it is about (the one error shape)."""
    return ValidationFailed(exc.message, fields={exc.field: [exc.message]})


def _unavailable(exc: provisioning.ProviderError) -> RegistryUnavailable:
    return RegistryUnavailable(f"The number provider did not answer: {exc}")


SEARCH_LIMIT_MAX = 50


def phone_number_search(*, business: Business, area_code: str, limit: int = 10) -> list[str]:
    # isascii: "²²²" is digits to str.isdigit() and a 500 to int() (Twilio's back end)
    if not (area_code.isascii() and area_code.isdigit() and len(area_code) == 3):
        raise ValidationFailed(fields={"area_code": ["Enter a 3-digit US area code."]})
    # Twilio's client pages through as many as asked: one search is never a crawl
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        raise ValidationFailed(fields={"limit": [f"From 1 to {SEARCH_LIMIT_MAX}."]})
    try:
        return provisioning.get_numbers().available(
            area_code=area_code, limit=min(max(limit, 1), 50)
        )
    except provisioning.ProviderRefused as exc:
        raise _refused(exc) from None
    except provisioning.ProviderError as exc:
        raise _unavailable(exc) from None


def _normalized_free(e164: str) -> str:
    normalized = rules.normalize_e164(e164 or "")
    if normalized is None or not normalized.startswith("+1"):
        raise ValidationFailed(fields={"number": ["Enter a valid US number, e.g. +12025550123."]})
    if PhoneNumber.objects.filter(e164=normalized).exclude(status="RELEASED").exists():
        raise Conflict("That number is already in use.", fields={"number": ["Already in use."]})
    return normalized


def phone_number_provision(
    *, business: Business, e164: str, actor: User | None, ip: str | None = None
) -> PhoneNumber:
    """Buy ``e164`` from the provider, its inbound webhook pointed at us, and record it
    (ACTIVE, on no campaign yet)."""
    normalized = _normalized_free(e164)
    numbers = provisioning.get_numbers()
    try:
        result = numbers.buy(e164=normalized)
    except provisioning.NumberTaken:
        raise Conflict(
            "The provider says that number is taken; choose another.",
            fields={"number": ["Taken at the provider; choose another."]},
        ) from None
    except provisioning.ProviderRefused as exc:
        raise _refused(exc) from None
    except provisioning.ProviderError as exc:
        raise _unavailable(exc) from None
    with transaction.atomic():
        number = PhoneNumber.objects.create(
            business=business,
            e164=normalized,
            provider=numbers.name,
            provider_id=result.get("id", ""),
            capabilities=result.get("capabilities") or ["sms"],
        )
        audit_record(
            action="campaigns.number.provision", obj=number, actor=actor, business=business,
            detail={"e164": normalized, "provider": numbers.name,
                    "provider_id": number.provider_id}, ip=ip,
        )  # fmt: skip
        webhook_events.number_bought(number)
    return number


def phone_number_add_existing(
    *,
    business: Business,
    e164: str,
    campaign: Campaign | None,
    actor: User | None,
    provider: str = "",
    ip: str | None = None,
) -> PhoneNumber:
    """Staff record a number bought elsewhere (the admin): the same checks as buying one —
    a valid US number nobody here uses, that the provider account holds (its id looked up
    there), its inbound webhook pointed at us — then, with a campaign, the same checks and
    messaging-service join as ``phone_number_assign``."""
    normalized = _normalized_free(e164)
    if campaign is not None and campaign.business_id != business.pk:
        raise ValidationFailed(fields={"campaign": ["That campaign belongs to another business."]})
    numbers = provisioning.get_numbers(provider or None)
    try:
        found = numbers.lookup(e164=normalized)
        if found.get("id"):
            numbers.set_webhook(provider_id=found["id"])
    except provisioning.ProviderRefused as exc:
        raise _refused(exc) from None
    except provisioning.ProviderError as exc:
        raise _unavailable(exc) from None
    with transaction.atomic():
        number = PhoneNumber.objects.create(
            business=business,
            e164=normalized,
            provider=numbers.name,
            provider_id=found.get("id", ""),
            capabilities=found.get("capabilities") or ["sms"],
        )
        audit_record(
            action="campaigns.number.add_existing", obj=number, actor=actor, business=business,
            detail={"e164": normalized, "provider": numbers.name,
                    "provider_id": number.provider_id}, ip=ip,
        )  # fmt: skip
        if campaign is not None:
            number = phone_number_assign(number=number, campaign=campaign, actor=actor, ip=ip)
    return number


def _move_service(number: PhoneNumber, old: Campaign | None, new: Campaign | None) -> None:
    """At the provider, the number leaves the old campaign's messaging service and joins the
    new one's (made on first use, its id kept on the campaign). Called inside the
    assignment's transaction: a refusal there leaves nothing changed here."""
    if number.provider not in ("simulated", "twilio"):
        return
    numbers = provisioning.get_numbers(number.provider)
    try:
        if old is not None and old.messaging_service_sid and (new is None or new.pk != old.pk):
            numbers.detach(provider_id=number.provider_id, service=old.messaging_service_sid)
        if new is not None:
            service = numbers.service_for(
                name=f"{new.brand.display_name} {new.usecase}", current=new.messaging_service_sid
            )
            if service != new.messaging_service_sid:
                new.messaging_service_sid = service
                new.save(update_fields=["messaging_service_sid"])
            if service:
                numbers.attach(provider_id=number.provider_id, service=service)
    except provisioning.ProviderRefused as exc:
        raise _refused(exc) from None
    except provisioning.ProviderError as exc:
        raise _unavailable(exc) from None


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
    previous = number.campaign
    _move_service(number, previous, campaign)
    number.campaign = campaign
    number.assigned_at = timezone.now()
    number.save(update_fields=["campaign", "assigned_at"])
    audit_record(
        action="campaigns.number.assign", obj=number, actor=actor, business=number.business,
        detail={"campaign": str(campaign.uuid),
                "previous_campaign_id": previous.pk if previous else None,
                "messaging_service": campaign.messaging_service_sid}, ip=ip,
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
    _move_service(number, number.campaign, None)
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
    if number.provider in ("simulated", "twilio"):  # the providers we buy numbers from
        numbers = provisioning.get_numbers(number.provider)
        try:
            if number.campaign is not None and number.campaign.messaging_service_sid:
                numbers.detach(
                    provider_id=number.provider_id, service=number.campaign.messaging_service_sid
                )
            numbers.release(provider_id=number.provider_id, e164=number.e164)
        except provisioning.ProviderRefused as exc:
            raise _refused(exc) from None
        except provisioning.ProviderError as exc:
            raise _unavailable(exc) from None
    with transaction.atomic():
        number = PhoneNumber.objects.select_for_update().get(pk=number.pk)
        number.status = PhoneNumber.Status.RELEASED
        number.released_at = timezone.now()
        number.save(update_fields=["status", "released_at"])
        audit_record(
            action="campaigns.number.release", obj=number, actor=actor, business=number.business,
            detail={"e164": number.e164, "campaign_id": number.campaign_id}, ip=ip,
        )  # fmt: skip
        webhook_events.number_released(
            number, campaign_uuid=number.campaign.uuid if number.campaign is not None else None
        )
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
