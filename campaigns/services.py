"""Every write of the campaigns app: brands, campaigns and their states, numbers.

Registry calls happen outside database transactions: the state that says "we are asking the
registry" is committed first, so a crash or a time-out leaves a row that says so and that
``campaign_retry`` (or the poller) can finish with the same ``reference_id``.
"""

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record

from . import provisioning, rules
from .models import Brand, Campaign, CampaignStatusChange, PhoneNumber, Registrar
from .registrars import RegistryError, RegistryTimeout, get_registrar

logger = logging.getLogger(__name__)

S = Campaign.Status


class CampaignRefused(ApplicationError):
    """Submission refused: the content rules, TCR's eligibility or our SMS policy."""

    code = "campaign_refused"
    status_code = 400
    default_message = "The campaign cannot be submitted as it is."


class CampaignNotApproved(ApplicationError):
    code = "campaign_not_approved"
    status_code = 409
    default_message = "Numbers can only be assigned to an approved campaign."


class RegistryUnavailable(ApplicationError):
    code = "registry_unavailable"
    status_code = 503
    default_message = "The registry could not be reached; the request is saved and can be retried."


class BadSignature(ApplicationError):
    code = "bad_signature"
    status_code = 401
    default_message = "Bad, stale or missing webhook signature."


BRAND_FIELDS = [
    "entity_type", "display_name", "company_name", "ein", "country", "email",
    "business_contact_email", "phone", "mobile_phone", "first_name", "last_name", "street",
    "city", "state", "postal_code", "website", "vertical", "stock_symbol", "stock_exchange",
    "alt_business_id", "alt_business_id_type",
]  # fmt: skip
CAMPAIGN_FIELDS = [
    "name", "usecase", "sub_usecases", "description", "message_flow", "sample1", "sample2",
    "sample3", "sample4", "sample5", "help_message", "optin_message", "optout_message",
    "help_keywords", "optin_keywords", "optout_keywords", "subscriber_optin",
    "subscriber_optout", "subscriber_help", "number_pool", "direct_lending", "embedded_link",
    "embedded_link_sample", "embedded_phone", "age_gated", "affiliate_marketing",
    "auto_renewal", "terms_and_conditions", "terms_and_conditions_link",
    "privacy_policy_link", "automated",
]  # fmt: skip

# Who may move a campaign where. "registry" moves come from the registrar (poll/webhook),
# "staff" from our compliance team, "user" from the business.
TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.REVIEW, S.APPROVED, S.REJECTED, S.DRAFT},
    S.REVIEW: {S.APPROVED, S.REJECTED},
    S.REJECTED: {S.APPEALED, S.DEACTIVATED},
    S.APPEALED: {S.REVIEW, S.APPROVED, S.REJECTED},
    S.APPROVED: {S.SUSPENDED, S.EXPIRED, S.DEACTIVATED},
    S.SUSPENDED: {S.APPROVED, S.EXPIRED, S.DEACTIVATED},
    S.EXPIRED: set(),
    S.DEACTIVATED: set(),
}
REASON_REQUIRED = {S.REJECTED, S.SUSPENDED, S.DEACTIVATED, S.APPEALED}
FINAL = {S.EXPIRED, S.DEACTIVATED}
NUMBER_POOL_THRESHOLD = 49  # Infobip: at most 49 per campaign; more is a pool (snowshoeing guard)


def _clean_keywords(value: Any) -> Any:
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return value.strip().upper() if isinstance(value, str) else value


def _normalize(fields: dict[str, Any]) -> dict[str, Any]:
    out = dict(fields)
    for key in ("help_keywords", "optin_keywords", "optout_keywords"):
        if key in out:
            out[key] = _clean_keywords(out[key])
    for key in ("state", "country", "stock_symbol"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip().upper()
    if isinstance(out.get("ein"), str) and out["ein"].strip():
        from stdnum.us import ein as us_ein

        out["ein"] = us_ein.format(us_ein.compact(out["ein"]))  # never raises: only strips
    for key in ("phone", "mobile_phone"):
        if isinstance(out.get(key), str) and out[key].strip():
            out[key] = rules.normalize_e164(out[key].strip()) or out[key].strip()
    for key, value in list(out.items()):
        if isinstance(value, str) and key not in ("help_keywords",):
            out[key] = value.strip()
    return out


def _unknown(fields: dict, allowed: list[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationFailed(fields={f: ["Unknown field."] for f in sorted(unknown)})


# --- brands -------------------------------------------------------------------------------


@transaction.atomic
def brand_create(
    *, business: Business, actor: User | None, ip: str | None = None, **fields: Any
) -> Brand:
    """A draft brand; every TCR rule is checked now, so registering it can only fail remotely."""
    _unknown(fields, BRAND_FIELDS)
    data = _normalize({"country": "US", **fields})
    errors = rules.brand_errors(data)
    if errors:
        raise ValidationFailed(fields=errors)
    brand = Brand.objects.create(business=business, **data)
    audit_record(
        action="campaigns.brand.create", obj=brand, actor=actor, business=business,
        detail={"entity_type": brand.entity_type}, ip=ip,
    )  # fmt: skip
    return brand


@transaction.atomic
def brand_update(
    *, brand: Brand, actor: User | None, ip: str | None = None, **fields: Any
) -> Brand:
    _unknown(fields, BRAND_FIELDS)
    brand = Brand.objects.select_for_update().get(pk=brand.pk)
    if brand.status not in (Brand.Status.DRAFT, Brand.Status.REGISTRATION_FAILED):
        raise Conflict(
            "A brand cannot be changed once it is registered or waiting for the registry.",
            detail={"status": brand.status},
        )
    data = _normalize(fields)
    current = {f: getattr(brand, f) for f in BRAND_FIELDS}
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
    return brand


def brand_register(*, brand: Brand, actor: User | None, ip: str | None = None) -> Brand:
    """Send the brand to the registrar. Idempotent: a pending brand is looked up first."""
    with transaction.atomic():
        brand = Brand.objects.select_for_update().get(pk=brand.pk)
        if brand.status == Brand.Status.OK:
            return brand
        errors = rules.brand_errors({f: getattr(brand, f) for f in BRAND_FIELDS})
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
    from .registrars import BrandResult
    from .registrars.tcr import _brand_result

    brand = Brand.objects.filter(registry_brand_id=registry_brand_id).first()
    if brand is None:
        return None
    result: BrandResult = _brand_result(
        {"brandId": registry_brand_id, "status": status, "identityStatus": identity_status,
         "failureReasons": failure_reasons or []}
    )  # fmt: skip
    return _brand_apply(brand=brand, result=result)


# --- campaigns: drafts --------------------------------------------------------------------


def campaign_validate(*, brand: Brand | None, data: dict[str, Any], submit: bool = True) -> dict:
    """Every rule a campaign will meet on submit, for live validation in the wizard."""
    data = _normalize(data)
    errors = rules.campaign_field_errors(data)
    if brand is not None and submit:
        for source in (
            rules.campaign_content_errors(data, brand_name=brand.display_name),
            rules.campaign_eligibility_errors(
                data, entity_type=brand.entity_type, vertical=brand.vertical
            ),
        ):
            for field, messages in source.items():
                errors.setdefault(field, []).extend(messages)
    return errors


def _sole_proprietor_guard(brand: Brand, exclude_pk: int | None = None) -> None:
    if not brand.is_sole_proprietor:
        return
    others = Campaign.objects.filter(brand=brand).exclude(status__in=list(FINAL))
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationFailed(
            "A sole proprietor brand can have one campaign.",
            fields={"brand": ["A sole proprietor brand can have only one campaign."]},
        )


@transaction.atomic
def campaign_create(
    *, business: Business, brand: Brand, actor: User | None, ip: str | None = None, **fields: Any
) -> Campaign:
    """A draft campaign. Field rules are checked now; content rules and policy at submit."""
    _unknown(fields, CAMPAIGN_FIELDS)
    if brand.business_id != business.pk:
        raise NotFound()
    Brand.objects.select_for_update().get(pk=brand.pk)  # serialise the sole-proprietor check
    _sole_proprietor_guard(brand)
    data = _normalize(fields)
    if brand.is_sole_proprietor:
        data.setdefault("usecase", "SOLE_PROPRIETOR")
    defaults = {f.name: f.get_default() for f in Campaign._meta.fields if f.name in CAMPAIGN_FIELDS}
    errors = rules.campaign_field_errors({**defaults, **data})
    if errors:
        raise ValidationFailed(fields=errors)
    campaign = Campaign.objects.create(business=business, brand=brand, **data)
    audit_record(
        action="campaigns.campaign.create", obj=campaign, actor=actor, business=business,
        detail={"usecase": campaign.usecase, "brand": str(brand.uuid)}, ip=ip,
    )  # fmt: skip
    return campaign


def campaign_update(
    *, campaign: Campaign, actor: User | None, ip: str | None = None, **fields: Any
) -> Campaign:
    """Change a campaign. After submission only what the registry lets a CSP change."""
    _unknown(fields, CAMPAIGN_FIELDS)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        data = _normalize(fields)
        changed = {k: v for k, v in data.items() if getattr(campaign, k) != v}
        if campaign.status in FINAL:
            raise Conflict(f"A {campaign.status.lower()} campaign cannot be changed.")
        if campaign.status != S.DRAFT:
            frozen = sorted(set(changed) - rules.MUTABLE_AFTER_SUBMISSION)
            if frozen:
                raise ValidationFailed(
                    "These fields cannot change after submission (the registry freezes them).",
                    fields={
                        f: ["Cannot change after submission: the registry freezes this field."]
                        for f in frozen
                    },
                )
        current = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}
        merged = {**current, **changed}
        errors = rules.campaign_field_errors(merged)
        if campaign.status != S.DRAFT:
            for field, messages in rules.campaign_content_errors(
                merged, brand_name=campaign.brand.display_name
            ).items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationFailed(fields=errors)
        if not changed:
            return campaign
        for key, value in changed.items():
            setattr(campaign, key, value)
        campaign.updated_at = timezone.now()
        campaign.save()
        audit_record(
            action="campaigns.campaign.update", obj=campaign, actor=actor,
            business=campaign.business, detail={"fields": sorted(changed)}, ip=ip,
        )  # fmt: skip
    if campaign.submission == Campaign.Submission.CREATED and campaign.registrar == Registrar.TCR:
        try:
            get_registrar(campaign.registrar).campaign_update(campaign, changed)
        except RegistryError as exc:
            Campaign.objects.filter(pk=campaign.pk).update(
                registry_error=f"Update not sent to the registry: {exc.message}"
            )
            raise RegistryUnavailable(
                f"Saved here, but the registry did not take the change: {exc.message}"
            ) from None
    return campaign


# --- campaigns: states --------------------------------------------------------------------


def _transition(
    campaign: Campaign,
    to_status: str,
    *,
    reason: str,
    actor: User | None,
    source: str,
    ip: str | None = None,
    failure_reasons: list[str] | None = None,
) -> Campaign:
    """Move a locked campaign; record who and why. Callers hold the row lock."""
    from_status = campaign.status
    if to_status == from_status:
        return campaign
    if to_status not in TRANSITIONS[S(from_status)]:
        raise Conflict(
            f"A campaign that is {from_status} cannot become {to_status}.",
            detail={"from": from_status, "to": to_status},
        )
    if to_status in REASON_REQUIRED and not (reason or "").strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    now = timezone.now()
    campaign.status = to_status
    campaign.status_reason = reason or ""
    if failure_reasons is not None:
        campaign.failure_reasons = failure_reasons
    if to_status == S.APPROVED:
        campaign.approved_at = campaign.approved_at or now
        campaign.failure_reasons = []
    if to_status == S.SUBMITTED:
        campaign.submitted_at = now
    campaign.updated_at = now
    campaign.save()
    CampaignStatusChange.objects.create(
        business_id=campaign.business_id, campaign=campaign, from_status=from_status,
        to_status=to_status, reason=reason or "", actor=actor if actor and actor.is_authenticated
        else None, source=source,
    )  # fmt: skip
    audit_record(
        action=f"campaigns.campaign.{to_status.lower()}", obj=campaign, actor=actor,
        business=campaign.business,
        detail={"from": from_status, "to": to_status, "reason": reason or "", "source": source},
        ip=ip,
    )  # fmt: skip
    if to_status in FINAL:
        # Final campaigns free their numbers so they can move to another approved campaign.
        campaign.numbers.exclude(status=PhoneNumber.Status.RELEASED).update(
            campaign=None, assigned_at=None
        )
    return campaign


def _policy_check(campaign: Campaign):
    from policies import services as policies

    return policies.campaign_check(
        usecase=campaign.usecase,
        sub_usecases=list(campaign.sub_usecases or []),
        description=campaign.description,
        message_flow=campaign.message_flow,
        samples=campaign.samples,
        flags={
            "number_pool": campaign.number_pool,
            "direct_lending": campaign.direct_lending,
            "embedded_link": campaign.embedded_link,
            "embedded_phone": campaign.embedded_phone,
            "age_gated": campaign.age_gated,
            "affiliate_marketing": campaign.affiliate_marketing,
            "auto_renewal": campaign.auto_renewal,
            "automated": campaign.automated,
            "vertical": campaign.brand.vertical,
        },
        brand_name=campaign.brand.display_name,
        brand_domains=list(campaign.business.brand_domains or []),
    )


_SAMPLE_REASON = re.compile(r"^In sample (\d)\b")


def _policy_field(reason) -> str:
    """The field a policy reason is about, so the refusal shows next to it."""
    if reason.rule_id.startswith("campaign.flag."):
        return reason.rule_id.rsplit(".", 1)[-1]
    if reason.rule_id.startswith("usecase."):
        return "usecase"
    match = _SAMPLE_REASON.match(reason.message)
    if match:
        return f"sample{match.group(1)}"
    if reason.message.startswith("In the description"):
        return "description"
    if reason.message.startswith("In the message flow"):
        return "message_flow"
    return "policy"


def campaign_submit(*, campaign: Campaign, actor: User | None, ip: str | None = None) -> Campaign:
    """DRAFT -> SUBMITTED after every check, then hand it to the registrar.

    Refusals name fields: content rules, TCR eligibility, our policy gate. A policy decision
    of "review" sends the campaign to our staff's queue whatever the registrar.
    """
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .select_related("brand", "business")
            .get(pk=campaign.pk)
        )
        if campaign.status != S.DRAFT:
            raise Conflict(
                f"The campaign is already {campaign.get_status_display().lower()}.",
                detail={"status": campaign.status},
            )
        brand = campaign.brand
        if brand.status != Brand.Status.OK:
            raise CampaignRefused(
                "Register the brand first: a campaign needs a registered brand.",
                fields={"brand": ["The brand is not registered yet."]},
            )
        _sole_proprietor_guard(brand, exclude_pk=campaign.pk)
        data = {f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}
        errors = campaign_validate(brand=brand, data=data)
        decision = _policy_check(campaign)
        for reason in decision.reasons:
            if reason.verdict == "block":
                errors.setdefault(_policy_field(reason), []).append(reason.message)
        if not errors:
            campaign.policy_decision = decision.as_dict()
            campaign.registrar = (
                Registrar.MANUAL if decision.decision == "review" else settings.CAMPAIGNS_REGISTRAR
            )
            campaign.submission = Campaign.Submission.PENDING
            campaign.registry_error = ""
            _transition(
                campaign, S.SUBMITTED, reason="Submitted for registration.", actor=actor,
                source="user", ip=ip,
            )  # fmt: skip
    if errors:
        # Recorded outside the transaction: a refusal is worth keeping.
        audit_record(
            action="campaigns.campaign.refused", obj=campaign, actor=actor,
            business=campaign.business,
            detail={"fields": errors, "policy": decision.as_dict()}, ip=ip,
        )  # fmt: skip
        raise CampaignRefused(
            "The campaign cannot be submitted: fix the fields listed.",
            fields=errors,
            detail={"policy": decision.as_dict()},
        )
    return _campaign_push(campaign=campaign)


def campaign_retry(*, campaign: Campaign, actor: User | None, ip: str | None = None) -> Campaign:
    """Finish a hand-off that timed out or failed. Safe to call any number of times."""
    campaign = Campaign.objects.select_related("brand", "business").get(pk=campaign.pk)
    if campaign.status != S.SUBMITTED or campaign.submission == Campaign.Submission.CREATED:
        raise Conflict("Nothing to retry: the registry already has this campaign.")
    audit_record(
        action="campaigns.campaign.retry", obj=campaign, actor=actor,
        business=campaign.business, detail={"attempts": campaign.registry_attempts}, ip=ip,
    )  # fmt: skip
    return _campaign_push(campaign=campaign)


def _campaign_push(*, campaign: Campaign) -> Campaign:
    """Ask the registrar; record exactly what happened. Runs outside any transaction."""
    Campaign.objects.filter(pk=campaign.pk).update(registry_attempts=campaign.registry_attempts + 1)
    try:
        registrar = get_registrar(campaign.registrar)
        result = None
        if campaign.registry_attempts > 0:
            # An earlier attempt may have reached the registry before timing out.
            result = registrar.campaign_find(campaign)
        if result is None:
            result = registrar.campaign_create(campaign)
    except RegistryTimeout as exc:
        return _push_failed(campaign, Campaign.Submission.PENDING, exc)
    except RegistryError as exc:
        if not exc.transient:
            return _push_refused(campaign, exc)
        return _push_failed(campaign, Campaign.Submission.FAILED, exc)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        campaign.submission = Campaign.Submission.CREATED
        campaign.registry_campaign_id = result.registry_id
        campaign.registry_status = result.registry_status
        campaign.registry_error = ""
        campaign.save()
        _apply_status(campaign, result.status, result.failure_reasons, source="registry")
    return campaign


def _push_failed(campaign: Campaign, submission: str, exc: RegistryError) -> Campaign:
    when = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    what = "did not answer in time" if isinstance(exc, RegistryTimeout) else exc.message
    Campaign.objects.filter(pk=campaign.pk).update(
        submission=submission,
        registry_error=f"{when}: the registry {what}" if isinstance(exc, RegistryTimeout)
        else f"{when}: {what}",
        updated_at=timezone.now(),
    )  # fmt: skip
    logger.warning("registry hand-off of campaign %s failed: %s", campaign.uuid, exc.message)
    campaign.refresh_from_db()
    return campaign


def _push_refused(campaign: Campaign, exc: RegistryError) -> Campaign:
    """The registry refused the content: back to DRAFT with its reasons, to fix and resubmit."""
    reasons = [m for ms in exc.fields.values() for m in ms] or [exc.message]
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        campaign.submission = Campaign.Submission.NONE
        campaign.registry_error = exc.message
        campaign.save()
        _transition(
            campaign, S.DRAFT, reason=f"The registry refused it: {exc.message}", actor=None,
            source="registry", failure_reasons=reasons,
        )  # fmt: skip
    return campaign


def _apply_status(campaign: Campaign, status: str, failure_reasons: list[str], *, source: str):
    """Bring a locked campaign to the registry's status along allowed paths."""
    current = campaign.status
    if status == current:
        if failure_reasons and failure_reasons != campaign.failure_reasons:
            campaign.failure_reasons = failure_reasons
            campaign.save(update_fields=["failure_reasons"])
        return campaign
    reason = "; ".join(failure_reasons) or f"The registry reports {campaign.registry_status}."
    path = [status]
    if status not in TRANSITIONS[S(current)]:
        # e.g. SUBMITTED -> SUSPENDED is reported as one jump; walk through APPROVED
        via = next((m for m in TRANSITIONS[S(current)] if status in TRANSITIONS[S(m)]), None)
        if via is None:
            logger.warning(
                "campaign %s: registry status %s ignored from %s", campaign.uuid, status, current
            )
            return campaign
        path = [via, status]
    for step in path:
        _transition(
            campaign, step, reason=reason, actor=None, source=source,
            failure_reasons=failure_reasons if step == S.REJECTED else None,
        )  # fmt: skip
    return campaign


def campaign_set_status(
    *,
    campaign: Campaign,
    to_status: str,
    reason: str,
    actor: User | None,
    ip: str | None = None,
    source: str = "staff",
) -> Campaign:
    """Staff decisions (manual registrar) and business deactivation."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        failure = [reason] if to_status == S.REJECTED and reason else None
        return _transition(
            campaign, to_status, reason=reason, actor=actor, source=source, ip=ip,
            failure_reasons=failure,
        )  # fmt: skip


def campaign_deactivate(
    *, campaign: Campaign, reason: str, actor: User | None, ip: str | None = None
) -> Campaign:
    return campaign_set_status(
        campaign=campaign, to_status=S.DEACTIVATED, reason=reason, actor=actor, ip=ip,
        source="user",
    )  # fmt: skip


def campaign_appeal(
    *, campaign: Campaign, explanation: str, actor: User | None, ip: str | None = None
) -> Campaign:
    """REJECTED -> APPEALED: the business explains what it changed; staff or registry decide."""
    if not (explanation or "").strip():
        raise ValidationFailed(fields={"explanation": ["Say what you changed and why."]})
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        errors = campaign_validate(
            brand=campaign.brand, data={f: getattr(campaign, f) for f in CAMPAIGN_FIELDS}
        )
        if errors:
            raise CampaignRefused("Fix the fields listed before appealing.", fields=errors)
        _transition(campaign, S.APPEALED, reason=explanation, actor=actor, source="user", ip=ip)
    if campaign.registrar == Registrar.TCR and campaign.registry_campaign_id:
        try:
            result = get_registrar(campaign.registrar).campaign_appeal(campaign, explanation)
        except RegistryError as exc:
            Campaign.objects.filter(pk=campaign.pk).update(
                registry_error=f"Appeal not delivered: {exc.message}"
            )
            campaign.refresh_from_db()
            return campaign
        if result is not None:
            campaign_apply_registry_result(campaign=campaign, result=result, source="registry")
            campaign.refresh_from_db()
    return campaign


def campaign_apply_registry_result(*, campaign: Campaign, result, source: str) -> Campaign:
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        campaign.registry_status = result.registry_status or campaign.registry_status
        if result.registry_id and not campaign.registry_campaign_id:
            campaign.registry_campaign_id = result.registry_id
            campaign.submission = Campaign.Submission.CREATED
        campaign.save()
        return _apply_status(campaign, result.status, result.failure_reasons, source=source)


def campaign_poll(*, campaign: Campaign) -> Campaign:
    """One polling round for a campaign at the registry (the beat task calls this)."""
    if campaign.status == S.SUBMITTED and campaign.submission != Campaign.Submission.CREATED:
        return _campaign_push(campaign=campaign)
    try:
        result = get_registrar(campaign.registrar).campaign_fetch(campaign)
    except RegistryError as exc:
        logger.warning("polling campaign %s failed: %s", campaign.uuid, exc.message)
        return campaign
    if result is None:
        return campaign
    return campaign_apply_registry_result(campaign=campaign, result=result, source="registry")


def registry_webhook_handle(*, body: bytes, timestamp: str, signature: str) -> dict:
    """A status webhook from the CSP. Refuses bad signatures; unknown ids are acknowledged."""
    import json

    from .registrars.tcr import campaign_result, verify_webhook

    if not verify_webhook(
        secret=settings.CAMPAIGNS_TCR_WEBHOOK_SECRET, body=body, timestamp=timestamp,
        signature=signature,
    ):  # fmt: skip
        raise BadSignature()
    try:
        payload = json.loads(body)
    except ValueError:
        raise ValidationFailed("The body is not JSON.") from None
    event = payload.get("eventType") or ""
    if event.startswith("BRAND"):
        brand = brand_apply_registry_status(
            registry_brand_id=str(payload.get("brandId") or ""),
            status=payload.get("status") or payload.get("brandStatus") or "",
            identity_status=payload.get("identityStatus") or "",
            failure_reasons=payload.get("failureReasons"),
        )
        return {"matched": brand is not None}
    campaign = (
        Campaign.objects.filter(
            registrar=Registrar.TCR, registry_campaign_id=str(payload.get("campaignId") or "")
        ).first()
        or Campaign.objects.filter(
            registrar=Registrar.TCR, reference_id=str(payload.get("referenceId") or "-")
        ).first()
    )
    if campaign is None:
        return {"matched": False}
    campaign_apply_registry_result(
        campaign=campaign, result=campaign_result(payload), source="registry"
    )
    return {"matched": True}


# --- numbers ------------------------------------------------------------------------------


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
