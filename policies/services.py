"""The policy gates and the behaviour that follows from what businesses send.

The engine (policies.engine) is pure; these services load the rules from the database
(recompiling when their revision changes), record decisions, fingerprints, strikes and
holds, and explain each step in the audit trail and on the business's policy page.
Signatures of the four gates are the contract other apps code against.
"""

import logging
import re
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.events.services import event_emit
from accounts.services import audit_record

from . import engine, selectors
from .decisions import Decision, Reason
from .engine.compiler import CompiledRules
from .engine.fingerprint import fingerprint, hamming, simhash
from .engine.links import find_links
from .models import (
    BusinessScreening,
    ContentFingerprint,
    PolicyDecision,
    PolicyHold,
    RiskCounter,
    RuleChange,
    RuleSet,
    Strike,
)

log = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- rules: compiled once, recompiled when staff edit them ----------------------------------

_rules_lock = threading.Lock()
_rules: dict[str, Any] = {"compiled": None, "revision": None, "checked": 0.0}


def rules_current() -> CompiledRules:
    """The compiled rules of the database. The revision is re-read at most every
    POLICY_RULES_TTL seconds; a changed revision recompiles (an edit shows up within
    that time in every process, at once in the process that made it)."""
    now = time.monotonic()
    ttl = _setting("POLICY_RULES_TTL", 5.0)
    if _rules["compiled"] is not None and now - _rules["checked"] < ttl:
        return _rules["compiled"]
    revision = RuleSet.objects.values_list("revision", flat=True).first()
    if _rules["compiled"] is None or revision != _rules["revision"]:
        with _rules_lock:
            if _rules["compiled"] is None or revision != _rules["revision"]:
                from .rules_io import rules_export

                data = rules_export() if revision is not None else engine.load_fixture()
                _rules["compiled"] = engine.with_layers(engine.compile_rules(data))
                _rules["revision"] = revision
    _rules["checked"] = now
    return _rules["compiled"]


def rules_reset() -> None:
    """Forget the compiled rules (tests; a management command after a bulk load)."""
    _rules.update(compiled=None, revision=None, checked=0.0)


@transaction.atomic
def rule_change_record(
    *, kind: str, rule: str, action: str, before: dict | None, after: dict | None, actor=None
) -> RuleChange:
    """History and audit of one rule edit, and a new revision so every engine recompiles."""
    rs = RuleSet.objects.select_for_update().first()
    if rs is None:
        rs = RuleSet.objects.create(version="custom", revision=1)
    else:
        RuleSet.objects.filter(pk=rs.pk).update(
            revision=F("revision") + 1, updated_at=timezone.now()
        )
        rs.refresh_from_db()
    change = RuleChange.objects.create(
        kind=kind,
        rule=rule,
        action=action,
        before=before,
        after=after,
        actor=actor,
        revision=rs.revision,
    )
    audit_record(
        action=f"policy.rule.{action}",
        actor=actor,
        object_type=f"policies.{kind}",
        object_id=rule[:64],
        detail={"before": before, "after": after, "revision": rs.revision},
    )
    _rules["checked"] = 0.0  # this process sees the edit at once
    return change


# --- gate 1: sign-up ------------------------------------------------------------------------


def business_screen(*, name: str, industry_description: str, website: str) -> Decision:
    """Sign-up gate: is this business in a prohibited industry? block / review / allow."""
    return engine.screen_business(name, industry_description, website, rules_current())


@transaction.atomic
def screening_record(
    *,
    business,
    name: str,
    industry_description: str,
    website: str,
    decision: Decision,
    actor=None,
    ip: str | None = None,
) -> BusinessScreening:
    """Keep the sign-up screening; a "review" is flagged for staff (status OPEN)."""
    d = decision.as_dict()
    screening = BusinessScreening.objects.create(
        business=business,
        name=name,
        industry_description=industry_description,
        website=website,
        decision=d["decision"],
        categories=d["categories"],
        reasons=d["reasons"],
        status=BusinessScreening.Status.OPEN
        if d["decision"] != "allow"
        else BusinessScreening.Status.CLEAR,
        rules_version=rules_current().version,
    )
    if d["decision"] != "allow":
        PolicyDecision.objects.create(
            business=business,
            gate=PolicyDecision.Gate.SIGNUP,
            decision=d["decision"],
            categories=d["categories"],
            reasons=d["reasons"],
            excerpt=industry_description[:500],
            rules_version=screening.rules_version,
        )
    audit_record(
        action="policy.screening.flagged" if d["decision"] != "allow" else "policy.screening.clear",
        obj=screening,
        actor=actor,
        business=business,
        ip=ip,
        detail={"decision": d["decision"], "categories": d["categories"]},
    )
    return screening


@transaction.atomic
def screening_decide(
    *, screening: BusinessScreening, approve: bool, reason: str, actor, ip: str | None = None
) -> BusinessScreening:
    """Staff decide a flagged business: approve (vetting APPROVED) or reject (TERMINATED)."""
    from accounts.models import Business
    from accounts.services import business_set_vetting

    screening = BusinessScreening.objects.select_for_update().get(pk=screening.pk)
    if screening.status != BusinessScreening.Status.OPEN:
        raise Conflict("This screening was already decided.", detail={"status": screening.status})
    if not reason.strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    business = screening.business
    target = Business.Vetting.APPROVED if approve else Business.Vetting.TERMINATED
    if business.vetting_status != target:
        business_set_vetting(business=business, to_status=target, reason=reason, actor=actor, ip=ip)
    if approve and Strike.objects.filter(business=business, active=True).count() < _setting(
        "POLICY_STRIKES_HOLD", 2
    ):
        # a re-screen that blocked held sending pending this review (business_rescreen)
        hold_release(business=business, actor=actor, reason=reason, ip=ip, missing_ok=True)
    screening.status = (
        BusinessScreening.Status.APPROVED if approve else BusinessScreening.Status.REJECTED
    )
    screening.staff_reason = reason
    screening.decided_by = actor
    screening.decided_at = timezone.now()
    screening.save(update_fields=["status", "staff_reason", "decided_by", "decided_at"])
    audit_record(
        action=f"policy.screening.{'approved' if approve else 'rejected'}",
        obj=screening,
        actor=actor,
        business=business,
        ip=ip,
        detail={"reason": reason},
    )
    return screening


def business_rescreen(
    *,
    business,
    name: str,
    industry_description: str,
    website: str,
    changed: list[str],
    actor=None,
    ip: str | None = None,
) -> BusinessScreening:
    """The sign-up screen again, after the business changed what it was screened on (its
    name, industry description, website or brand). ``block``: sending is held pending
    review (every message waits as HELD) and the screening waits in the staff queue;
    ``review``: the staff queue; ``allow``: recorded as clear. Staff approving the screening
    release the hold (``screening_decide``); rejecting it closes the business."""
    decision = business_screen(
        name=name, industry_description=industry_description, website=website
    )
    screening = screening_record(
        business=business,
        name=name,
        industry_description=industry_description,
        website=website,
        decision=decision,
        actor=actor,
        ip=ip,
    )
    if decision.decision == "block":
        why = " ".join(r.message for r in decision.reasons)
        _hold_place(
            business=business,
            reason=f"Your changed {', '.join(changed)} describes a business we cannot accept: "
            f"{why} Messages wait until our compliance team reviews the change.",
            detail={"screening": str(screening.uuid), "changed": changed},
        )
    return screening


# --- gate 2: campaign submission --------------------------------------------------------------


def campaign_check(
    *,
    usecase: str,
    sub_usecases: list[str],
    description: str,
    message_flow: str,
    samples: list[str],
    flags: dict[str, Any],
    brand_name: str,
    brand_domains: list[str],
    business: Any = None,
) -> Decision:
    """Campaign submission gate: prohibited use cases, flags and sample content. With the
    ``business``, a sample's link to a domain it lists but has not proved says so."""
    decision = engine.check_campaign(
        usecase=usecase or "",
        sub_usecases=list(sub_usecases or []),
        description=description or "",
        message_flow=message_flow or "",
        samples=[s for s in samples or [] if s],
        flags=flags or {},
        brand_name=brand_name or "",
        brand_domains=list(brand_domains or []),
        rules=rules_current(),
    )
    if business is None:
        return decision
    return _explain_unverified(decision, business=business, verified=list(brand_domains or []))


# --- gate 3: every message ----------------------------------------------------------------------


# A business proves control of a domain before links to it pass (CTIA: a link in a text goes
# to the brand's own domain). The proofs live above policies (campaigns.domains), which
# registers its reader here from its AppConfig.ready(); without one no domain is proven.
_verified_domains_source: list[Callable[[Any], list[str]]] = []


def verified_domains_source_register(source: Callable[[Any], list[str]]) -> None:
    """``source(business) -> [domain, ...]``: the business's proven link domains."""
    _verified_domains_source[:] = [source]


def brand_domains_verified(*, business) -> list[str]:
    """The domains the link check treats as the business's own: only proven ones."""
    return _verified_domains_source[0](business) if _verified_domains_source else []


def _link_host(raw: str) -> str:
    return re.split(r"[/?#:]", raw.lower().split("://", 1)[-1], maxsplit=1)[0].removeprefix("www.")


def _explain_unverified(decision: Decision, *, business, verified: list[str]) -> Decision:
    """A link to a domain the business lists but has not proved says so, and how to fix it
    (the engine only knows "not one of your brand domains")."""
    pending = [
        d.strip().lower().removeprefix("www.")
        for d in business.brand_domains or []
        if d and d.strip().lower().removeprefix("www.") not in verified
    ]
    if not pending or not any(r.rule_id == "link.unbranded" for r in decision.reasons):
        return decision
    reasons = []
    for r in decision.reasons:
        host = _link_host(r.matched) if r.rule_id == "link.unbranded" else ""
        own = next((d for d in pending if host == d or host.endswith("." + d)), None)
        if own is None:
            reasons.append(r)
            continue
        # a campaign's reason names its sample first ("In sample 2: "): kept, it places the
        # refusal next to that field
        where = re.match(r"In [^:]+: ", r.message)
        prefix = where.group(0) if where else ""
        reasons.append(
            Reason(
                "link.unverified_domain",
                r.category,
                r.verdict,
                f"{prefix}{own} is listed as your domain but is not verified yet; prove you "
                "control it (a DNS TXT record or a file on the site, see Link domains) before "
                "texting links to it.",
                r.span,
                r.matched,
            )
        )
    return Decision(tuple(reasons))


def _campaign_dict(campaign: Any | None) -> dict | None:
    if campaign is None:
        return None
    # duck-typed: policies never imports campaigns
    return {
        "usecase": getattr(campaign, "usecase", "") or "",
        "embedded_link": bool(getattr(campaign, "embedded_link", True)),
        "embedded_phone": bool(getattr(campaign, "embedded_phone", True)),
    }


def message_precheck(*, business, body: str, kind: str, campaign: Any | None = None) -> Decision:
    """What message_check would say about the content, without recording anything
    (the composer's pre-check)."""
    # the business's proven domains matter only to a message with a link: no query otherwise
    rules = rules_current()
    verified = (
        brand_domains_verified(business=business) if find_links(body, rules.shorteners) else []
    )
    decision = engine.check_message(
        body,
        rules,
        kind=kind,
        brand_domains=verified,
        campaign=_campaign_dict(campaign),
    )
    decision = _explain_unverified(decision, business=business, verified=verified)
    hold = _hold_reason(business)
    if hold is not None:
        decision = Decision((*decision.reasons, hold))
    return decision


_HOLD_SQL = (
    f"SELECT reason FROM {PolicyHold._meta.db_table} "  # noqa: S608 - our names
    "WHERE active AND business_id = %s ORDER BY id LIMIT 1"
)


def _hold_reason(business) -> Reason | None:
    read = selectors.hold_read_with_business(business)
    if read is not None:
        hold = None if read[0] is None else read
    else:
        # written once per process, not compiled by the ORM on every message
        with connection.cursor() as cursor:
            cursor.execute(_HOLD_SQL, [business.pk])
            hold = cursor.fetchone()
    if hold is None:
        return None
    return Reason(
        "behaviour.hold",
        "account_hold",
        "review",
        f"Sending is held for review by our compliance team: {hold[0]}",
    )


def message_check(
    *,
    business: Any,
    body: str,
    kind: str,
    campaign: Any | None = None,
    from_number: str | None = None,
) -> Decision:
    """Every message at enqueue: content, links, opt-out language, conformance with the
    campaign (embeddedLink / embeddedPhone / use case), snowshoeing across numbers, and a
    hold placed on the business. Review and block decisions are logged for the business."""
    rules = rules_current()
    camp = _campaign_dict(campaign)
    # the business's proven domains matter only to a message with a link: no query otherwise
    verified = (
        brand_domains_verified(business=business) if find_links(body, rules.shorteners) else []
    )
    decision = engine.check_message(body, rules, kind=kind, brand_domains=verified, campaign=camp)
    decision = _explain_unverified(decision, business=business, verified=verified)
    extra: list[Reason] = []
    hold = _hold_reason(business)
    if hold is not None:
        extra.append(hold)
    if (
        from_number
        and kind in ("marketing", "informational")
        and not getattr(campaign, "number_pool", False)
    ):
        snow = _snowshoe(business=business, body=body, from_number=from_number)
        if snow is not None:
            extra.append(snow)
    if extra:
        decision = Decision((*decision.reasons, *extra))
    if decision.decision != "allow":
        d = decision.as_dict()
        PolicyDecision.objects.create(
            business=business,
            gate=PolicyDecision.Gate.MESSAGE,
            decision=d["decision"],
            categories=d["categories"],
            reasons=d["reasons"],
            excerpt=body[:500],
            kind=kind,
            from_number=from_number or "",
            rules_version=rules.version,
        )
    return decision


def _snowshoe(*, business, body: str, from_number: str) -> Reason | None:
    """Same or near-same content from many numbers of one business within the window."""
    words = engine.normalise(body).words
    if len(words) < _setting("POLICY_SNOWSHOE_MIN_WORDS", 6):
        return None
    now = timezone.now()
    since = now - timedelta(minutes=_setting("POLICY_SNOWSHOE_WINDOW_MINUTES", 60))
    fp, sh = fingerprint(body), simhash(body)
    recent = list(
        ContentFingerprint.objects.filter(business=business, created_at__gte=since)
        .order_by("-created_at")
        .values_list("from_number", "fingerprint", "simhash")[
            : _setting("POLICY_SNOWSHOE_SCAN", 2000)
        ]
    )
    if not any(n == from_number and f == fp for n, f, _ in recent):
        ContentFingerprint.objects.create(
            business=business, from_number=from_number, fingerprint=fp, simhash=sh
        )
    limit = _setting("POLICY_SNOWSHOE_HAMMING", 6)
    numbers = {from_number} | {n for n, f, s in recent if f == fp or hamming(s, sh) <= limit}
    threshold = _setting("POLICY_SNOWSHOE_NUMBERS", 3)
    if len(numbers) < threshold:
        return None
    explanation = (
        f"The same message went out from {len(numbers)} of your numbers within "
        f"{_setting('POLICY_SNOWSHOE_WINDOW_MINUTES', 60)} minutes. Spreading content across "
        "numbers to get around carrier limits (snowshoeing) is not allowed; send it from one "
        "number, or register a campaign with a number pool."
    )
    _strike_once(
        business=business,
        signal=Strike.Signal.SNOWSHOEING,
        explanation=explanation,
        detail={"numbers": sorted(numbers), "fingerprint": fp},
        since=since,
    )
    return Reason("behaviour.snowshoeing", "evasion", "block", explanation)


# --- behaviour: outcomes become strikes, strikes hold or suspend ------------------------------

COUNTED = {
    "sent",
    "delivered",
    "failed",
    "opt_out",
    "opt_out_after_first_message",
    "carrier_filtered",
    "blocked",
}
EVALUATED = {"opt_out", "opt_out_after_first_message", "carrier_filtered", "blocked"}


def message_outcome_report(*, business: Any, event: str, detail: dict | None = None) -> None:
    """Risk signals from the send path (opt-out, STOP after first message, carrier
    filtering, blocked message, sent/delivered/failed counts). Counts go to a daily counter;
    the risk events re-evaluate the rates, and a rate over its threshold raises a strike."""
    if event not in COUNTED:
        raise ValidationFailed(fields={"event": [f"Unknown outcome event {event!r}."]})
    count = int((detail or {}).get("count", 1) or 1)
    today = timezone.localdate()
    updated = RiskCounter.objects.filter(business=business, day=today).update(
        **{event: F(event) + count}
    )
    if not updated:
        try:
            with transaction.atomic():
                RiskCounter.objects.create(business=business, day=today, **{event: count})
        except IntegrityError:  # another worker created today's row first
            RiskCounter.objects.filter(business=business, day=today).update(
                **{event: F(event) + count}
            )
    if event in EVALUATED:
        risk_evaluate(business=business)


def risk_evaluate(*, business) -> list[Strike]:
    """Compare the business's rates over the window with the thresholds; new strikes."""
    days = _setting("POLICY_RISK_WINDOW_DAYS", 7)
    since_day = timezone.localdate() - timedelta(days=days - 1)
    totals = RiskCounter.objects.filter(business=business, day__gte=since_day).aggregate(
        sent=Sum("sent"),
        opt_out=Sum("opt_out"),
        stop_first=Sum("opt_out_after_first_message"),
        filtered=Sum("carrier_filtered"),
        blocked=Sum("blocked"),
    )
    t = {k: v or 0 for k, v in totals.items()}
    if t["sent"] + t["blocked"] < _setting("POLICY_RISK_MIN_SENT", 50):
        return []
    sent = max(t["sent"], 1)
    checks = [
        (
            Strike.Signal.OPT_OUT_RATE,
            t["opt_out"] / sent,
            _setting("POLICY_OPT_OUT_RATE", 0.05),
            "of the people you texted replied STOP",
        ),
        (
            Strike.Signal.STOP_AFTER_FIRST,
            t["stop_first"] / sent,
            _setting("POLICY_STOP_AFTER_FIRST_RATE", 0.02),
            "of your messages got a STOP right after the first message someone received",
        ),
        (
            Strike.Signal.CARRIER_FILTERED,
            t["filtered"] / sent,
            _setting("POLICY_CARRIER_FILTERED_RATE", 0.02),
            "of your messages were filtered by carriers as spam",
        ),
        (
            Strike.Signal.BLOCKED_RATE,
            t["blocked"] / max(t["sent"] + t["blocked"], 1),
            _setting("POLICY_BLOCKED_RATE", 0.10),
            "of the messages you tried to send broke the content policy",
        ),
    ]
    since = timezone.now() - timedelta(days=days)
    new = []
    for signal, rate, limit, what in checks:
        if rate <= limit:
            continue
        explanation = (
            f"{rate:.1%} {what} in the last {days} days (the limit is {limit:.0%}). "
            "Check that everyone you text asked for your messages and that your content "
            "follows the messaging policy."
        )
        strike = _strike_once(
            business=business,
            signal=signal,
            explanation=explanation,
            detail={"rate": round(rate, 4), "limit": limit, "window_days": days, **t},
            since=since,
        )
        if strike is not None:
            new.append(strike)
    return new


@transaction.atomic
def _strike_once(*, business, signal: str, explanation: str, detail: dict, since) -> Strike | None:
    """A strike for ``signal`` unless an active one was raised since ``since``; then the
    consequences (hold, suspension) of the business's active strikes."""
    from accounts.models import Business

    Business.objects.select_for_update().filter(pk=business.pk).first()  # one evaluator
    if Strike.objects.filter(
        business=business, signal=signal, active=True, created_at__gte=since
    ).exists():
        return None
    strike = Strike.objects.create(
        business=business, signal=signal, explanation=explanation, detail=detail
    )
    PolicyDecision.objects.create(
        business=business,
        gate=PolicyDecision.Gate.BEHAVIOUR,
        decision="block",
        categories=[signal],
        reasons=[
            {
                "rule_id": f"behaviour.{signal}",
                "category": signal,
                "verdict": "block",
                "message": explanation,
                "span": None,
                "matched": "",
            }
        ],
    )
    audit_record(
        action="policy.strike",
        obj=strike,
        business=business,
        detail={"signal": signal, "explanation": explanation, **detail},
    )
    _consequences(business=business)
    return strike


def _consequences(*, business) -> None:
    from accounts.models import Business
    from accounts.services import business_set_vetting

    active = Strike.objects.filter(business=business, active=True).count()
    hold_at = _setting("POLICY_STRIKES_HOLD", 2)
    suspend_at = _setting("POLICY_STRIKES_SUSPEND", 3)
    if active >= suspend_at:
        business.refresh_from_db(fields=["vetting_status"])
        if business.vetting_status == Business.Vetting.APPROVED:
            business_set_vetting(
                business=business,
                to_status=Business.Vetting.SUSPENDED,
                reason=f"{active} active policy strikes (the limit is {suspend_at}); sending is "
                "suspended until our compliance team reviews the account.",
                actor=None,
            )
    elif active >= hold_at:
        _hold_place(
            business=business,
            reason=f"{active} active policy strikes; new messages wait for a review by our "
            "compliance team.",
            detail={"strikes": active},
        )


def _hold_place(*, business, reason: str, detail: dict) -> PolicyHold:
    """Hold the business's sending (a new hold, or a released one again); audited when it
    starts. An active hold keeps its first reason."""
    hold, created = PolicyHold.objects.get_or_create(business=business, defaults={"reason": reason})
    if not created and not hold.active:
        hold.active, hold.reason, hold.released_at, hold.released_by = True, reason, None, None
        hold.created_at = timezone.now()
        hold.save()
        created = True
    if created:
        audit_record(
            action="policy.hold", obj=hold, business=business, detail={**detail, "reason": reason}
        )
        event_emit(
            business=business,
            type="business.held",
            data={
                "business": business.uuid,
                "name": business.display_name,
                "reason": reason,
                "at": hold.created_at,
            },
        )
    return hold


@transaction.atomic
def strike_clear(*, strike: Strike, actor, reason: str, ip: str | None = None) -> Strike:
    """Staff withdraw a strike (with a reason); a hold with too few strikes left is lifted."""
    if not reason.strip():
        raise ValidationFailed(fields={"reason": ["A reason is required."]})
    strike = Strike.objects.select_for_update().get(pk=strike.pk)
    if not strike.active:
        raise Conflict("This strike was already cleared.")
    strike.active = False
    strike.cleared_by = actor
    strike.cleared_reason = reason
    strike.save(update_fields=["active", "cleared_by", "cleared_reason"])
    audit_record(
        action="policy.strike.cleared",
        obj=strike,
        actor=actor,
        business=strike.business,
        ip=ip,
        detail={"reason": reason},
    )
    remaining = Strike.objects.filter(business=strike.business, active=True).count()
    rescreen_open = BusinessScreening.objects.filter(
        business=strike.business, status=BusinessScreening.Status.OPEN, decision="block"
    ).exists()  # that hold is lifted by deciding the screening, not by clearing strikes
    if remaining < _setting("POLICY_STRIKES_HOLD", 2) and not rescreen_open:
        hold_release(business=strike.business, actor=actor, reason=reason, ip=ip, missing_ok=True)
    return strike


@transaction.atomic
def hold_release(
    *, business, actor, reason: str, ip: str | None = None, missing_ok: bool = False
) -> PolicyHold | None:
    """Staff let a held business send again."""
    hold = PolicyHold.objects.select_for_update().filter(business=business, active=True).first()
    if hold is None:
        if missing_ok:
            return None
        raise Conflict("Sending is not held for this business.")
    hold.active = False
    hold.released_at = timezone.now()
    hold.released_by = actor
    hold.save(update_fields=["active", "released_at", "released_by"])
    audit_record(
        action="policy.hold.released",
        obj=hold,
        actor=actor,
        business=business,
        ip=ip,
        detail={"reason": reason},
    )
    return hold
