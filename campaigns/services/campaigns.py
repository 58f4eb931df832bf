"""Campaigns: drafts, the states and who may move them (``TRANSITIONS``), submission to the
registrar (never registered twice), the registry's answers, appeals."""

import logging
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.billing.models import UsageKind
from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import Business, User
from accounts.services import audit_record
from policies import services as policies

from .. import rules, tcr, webhook_events
from ..errors import CampaignRefused, RegistryUnavailable
from ..models import Brand, Campaign, CampaignStatusChange, PhoneNumber, Registrar
from ..registrars import RegistryError, RegistryTimeout, get_registrar
from .billing import billing_report_registration

logger = logging.getLogger(__name__)

S = Campaign.Status

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


def _refuse_unknown(fields: dict, allowed: list[str]) -> None:
    errors = rules.unknown_field_errors(fields, allowed)
    if errors:
        raise ValidationFailed(fields=errors)


# --- campaigns: drafts --------------------------------------------------------------------


def campaign_validate(*, brand: Brand | None, data: dict[str, Any], submit: bool = True) -> dict:
    """Every rule a campaign will meet on submit, for live validation in the wizard."""
    data = rules.normalize(data)
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
    _refuse_unknown(fields, tcr.CAMPAIGN_FIELDS)
    if brand.business_id != business.pk:
        raise NotFound()
    Brand.objects.select_for_update().get(pk=brand.pk)  # serialise the sole-proprietor check
    _sole_proprietor_guard(brand)
    data = rules.normalize(fields)
    if brand.is_sole_proprietor:
        data.setdefault("usecase", "SOLE_PROPRIETOR")
    defaults = {
        f.name: f.get_default() for f in Campaign._meta.fields if f.name in tcr.CAMPAIGN_FIELDS
    }
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
    _refuse_unknown(fields, tcr.CAMPAIGN_FIELDS)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("brand").get(pk=campaign.pk)
        data = rules.normalize(fields)
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
        current = {f: getattr(campaign, f) for f in tcr.CAMPAIGN_FIELDS}
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
    webhook_events.campaign_status_changed(
        campaign=campaign, previous_status=from_status, reason=reason or "", source=source
    )
    if to_status in FINAL:
        # Final campaigns free their numbers so they can move to another approved campaign.
        campaign.numbers.exclude(status=PhoneNumber.Status.RELEASED).update(
            campaign=None, assigned_at=None
        )
    return campaign


def _policy_check(campaign: Campaign):
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
        # only proven domains count as the brand's own (campaigns.domains)
        brand_domains=policies.brand_domains_verified(business=campaign.business),
        business=campaign.business,
    )


_SAMPLE_REASON = re.compile(r"^In sample (\d)\b")
_SAMPLE_REASON_PREFIX = re.compile(r"^In sample \d: ")


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
        data = {f: getattr(campaign, f) for f in tcr.CAMPAIGN_FIELDS}
        errors = campaign_validate(brand=brand, data=data)
        decision = _policy_check(campaign)
        for reason in decision.reasons:
            if reason.verdict == "block":
                field = _policy_field(reason)
                # shown next to (or named by) its sample's field: "In sample 2: " would repeat it
                message = _SAMPLE_REASON_PREFIX.sub("", reason.message, count=1)
                errors.setdefault(field, []).append(
                    message if field.startswith("sample") else reason.message
                )
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
            billing_report_registration(
                business=campaign.business, key=f"campaign:{campaign.uuid}:vetting",
                kind=UsageKind.CAMPAIGN_VETTING, description=f"campaign {campaign}",
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
        _apply_reported_limits(campaign, result)
        campaign.save()
        _apply_status(campaign, result.status, result.failure_reasons, source="registry")
    return campaign


def _apply_reported_limits(campaign: Campaign, result) -> None:
    """The carriers' limits the registry reported replace the table's defaults
    (campaigns/throughput.py): AT&T's on the campaign, T-Mobile's on its brand."""
    limits = getattr(result, "limits", None) or {}
    if "att_message_class" in limits:
        campaign.att_message_class = limits["att_message_class"]
    if "att_tpm" in limits:
        campaign.att_tpm = limits["att_tpm"]
    brand_fields = {k: limits[k] for k in ("tmobile_tier", "tmobile_daily_cap") if k in limits}
    if brand_fields:
        Brand.objects.filter(pk=campaign.brand_id).update(**brand_fields)
        for name, value in brand_fields.items():
            setattr(campaign.brand, name, value)


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
            brand=campaign.brand, data={f: getattr(campaign, f) for f in tcr.CAMPAIGN_FIELDS}
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
        _apply_reported_limits(campaign, result)
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
