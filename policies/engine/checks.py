"""The checks: content terms, links, opt-out language, campaign conformance, industry,
use case. Pure functions of (text, compiled rules, context) -> Decision."""

import re

from rapidfuzz.distance import OSA

from policies.decisions import Decision, Reason

from . import links as L
from .compiler import CompiledRules, TermRule
from .content import (
    _content,
    _industry_reasons,
    _intent_reasons,
    _order,
    _review_only,
    _shortener,
)
from .learned_gate import (
    _learned_reason,
)
from .normalize import TEXT, Normalised, normalise
from .optout import (
    KINDS_NEEDING_OPT_OUT,
    has_opt_out,
)
from .terms import (
    Hit,
    match_terms,
)

MARKETING_USECASES = frozenset(
    {"MARKETING", "MIXED", "LOW_VOLUME", "SOLE_PROPRIETOR", "AGENTS_FRANCHISES", "SWEEPSTAKE"}
)


PHONE = re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?\(?[2-9]\d{2}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?!\d)")


def _brand_hint(brand_domains: list[str]) -> str:
    return (
        f"use a link on {brand_domains[0]}"
        if brand_domains
        else "use a link on your own website's domain"
    )


def check_links(
    found: list[L.Link], rules: CompiledRules, brand_domains: list[str]
) -> list[Reason]:
    reasons: list[Reason] = []
    # brand domains as given: "BrightSmile.com", "www.brightsmile.com", "https://brightsmile.com/"
    brands = [
        b.strip().lower().split("://")[-1].split("/")[0].removeprefix("www.")
        for b in brand_domains
        if b and b.strip()
    ]
    hint = _brand_hint(brands)
    brand_skels: dict[str, str] | None = None
    for link in found:
        host = link.host.removeprefix("www.")
        span = (link.start, link.end)
        shortener = _shortener(host, rules.shorteners)
        if link.path == "?wordlike" and not shortener:
            continue  # "now.In stock": a missing space, not a link
        own = any(L.host_matches(host, b) for b in brands)
        if link.userinfo:
            reasons.append(
                Reason(
                    "link.userinfo",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” looks like it goes to {link.userinfo} but really opens {host}; "
                    f"links must show where they go ({hint}).",
                    span,
                    link.raw,
                )
            )
            continue
        if L.is_ip_host(host):
            reasons.append(
                Reason(
                    "link.ip_host",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” points at a bare IP address; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        if shortener:
            reasons.append(
                Reason(
                    "link.shortener",
                    "link_shortener",
                    "block",
                    f"{shortener} is a public link shortener; {hint}.",
                    span,
                    link.raw,
                )
            )
            if link.obfuscated_dots:
                reasons.append(
                    Reason(
                        "link.obfuscated_dots",
                        "obfuscated_link",
                        "block",
                        f"“{link.raw}” hides a link by writing its dots as words or brackets.",
                        span,
                        link.raw,
                    )
                )
            continue
        if own:
            if link.obfuscated_dots:
                reasons.append(
                    Reason(
                        "link.obfuscated_dots",
                        "obfuscated_link",
                        "block",
                        f"“{link.raw}” hides a link by writing its dots as words or brackets; "
                        "write it plainly.",
                        span,
                        link.raw,
                    )
                )
            aff = L.affiliate_params(link.path)
            if aff:
                reasons.append(
                    Reason(
                        "link.affiliate_params",
                        "lead_generation",
                        "block",
                        f"“{link.raw}” carries affiliate tracking ({', '.join(aff)}); "
                        "affiliate and lead-generation links are not allowed.",
                        span,
                        link.raw,
                    )
                )
            continue
        if "xn--" in host:
            reasons.append(
                Reason(
                    "link.punycode",
                    "obfuscated_link",
                    "block",
                    f"{host} is an internationalised (punycode) domain that can imitate another "
                    f"site; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        sk = L.skeleton(host)
        if brand_skels is None:
            brand_skels = {b: L.skeleton(b) for b in brands}
        lookalike = None
        for b, bsk in brand_skels.items():
            blabel = b.split(".")[0]
            if (
                sk == bsk
                or (len(bsk) >= 6 and OSA.distance(sk, bsk, score_cutoff=2) <= 2)
                or (
                    (len(blabel) >= 4 and blabel in host.replace("-", "").split(".")[0:-1])
                    or (len(blabel) >= 5 and blabel in L.skeleton(host.rsplit(".", 1)[0]))
                )
            ):
                lookalike = b
                break
        if lookalike:
            reasons.append(
                Reason(
                    "link.lookalike",
                    "obfuscated_link",
                    "block",
                    f"{host} imitates your domain {lookalike} but is not it; link only to "
                    f"{lookalike} and its subdomains.",
                    span,
                    link.raw,
                )
            )
            continue
        if link.obfuscated_dots:
            reasons.append(
                Reason(
                    "link.obfuscated_dots",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” hides a link by writing its dots as words or brackets; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        aff = L.affiliate_params(link.path)
        if aff:
            reasons.append(
                Reason(
                    "link.affiliate_params",
                    "lead_generation",
                    "block",
                    f"“{link.raw}” carries affiliate tracking ({', '.join(aff)}); "
                    "affiliate and lead-generation links are not allowed.",
                    span,
                    link.raw,
                )
            )
            continue
        reasons.append(
            Reason(
                "link.unbranded",
                "unbranded_link",
                "block",
                f"{host} is not one of your brand domains; {hint}.",
                span,
                link.raw,
            )
        )
    return reasons


def check_message(
    text: str,
    rules: CompiledRules,
    *,
    kind: str = "marketing",
    brand_domains: list[str] | tuple[str, ...] = (),
    campaign: dict | None = None,
) -> Decision:
    """One outbound message. ``campaign``: {"usecase", "embedded_link", "embedded_phone"}."""
    found = L.find_links(text, rules.shorteners)
    skip = [(lk.start, lk.end) for lk in found]
    kept: list[Normalised] = []
    reasons = _content(text, rules, rules.content, skip, kept)
    low = text.lower()
    if rules.knowledge is not None:
        reasons += _intent_reasons(
            text, rules, {r.category for r in reasons}, low, _review_only(reasons)
        )
    if rules.learned is not None:
        words = [w[TEXT] for w in kept[0].words]
        reasons = _learned_reason(
            text, rules, rules.learned.message, words, "message", reasons, low
        )
    if found:
        reasons += check_links(found, rules, list(brand_domains))
    if kind in KINDS_NEEDING_OPT_OUT and not has_opt_out(text, low):
        reasons.append(
            Reason(
                "opt_out.missing",
                "missing_opt_out",
                "block",
                f"{kind.capitalize()} messages must say how to stop getting them: "
                "add “Reply STOP to opt out.”",
            )
        )
    if campaign is not None:
        reasons += check_conformance(text, rules, campaign, found, skip)
    return _order(reasons)


def check_conformance(
    text: str, rules: CompiledRules, campaign: dict, found=None, skip=None
) -> list[Reason]:
    reasons: list[Reason] = []
    found = L.find_links(text, rules.shorteners) if found is None else found
    real_links = [lk for lk in found if lk.path != "?wordlike"]
    if real_links and not campaign.get("embedded_link", True):
        lk = real_links[0]
        reasons.append(
            Reason(
                "conformance.embedded_link",
                "campaign_mismatch",
                "block",
                "Your registered campaign says its messages contain no links; remove the link or "
                "update the campaign.",
                (lk.start, lk.end),
                lk.raw,
            )
        )
    if not campaign.get("embedded_phone", True):
        m = PHONE.search(text)
        if m:
            reasons.append(
                Reason(
                    "conformance.embedded_phone",
                    "campaign_mismatch",
                    "block",
                    "Your registered campaign says its messages contain no phone numbers; remove "
                    "the number or update the campaign.",
                    m.span(),
                    m.group(),
                )
            )
    usecase = (campaign.get("usecase") or "").upper()
    if usecase and usecase not in MARKETING_USECASES:
        norm = normalise(text, skip if skip is not None else [(lk.start, lk.end) for lk in found])
        hits = match_terms(norm, rules.marketing, rules.fuzzy_stoplist, text)
        if not hits:
            for rx in rules.marketing_patterns:
                m = rx.search(text)
                if m:
                    hits.append(
                        Hit(
                            TermRule(
                                "conformance.marketing",
                                "campaign_mismatch",
                                m.group(),
                                (),
                                "block",
                                "",
                                False,
                                (),
                            ),
                            m.start(),
                            m.end(),
                            m.group(),
                            False,
                        )
                    )
                    break
        if hits:
            h = hits[0]
            reasons.append(
                Reason(
                    "conformance.marketing_content",
                    "campaign_mismatch",
                    "block",
                    f"“{h.matched}” is promotional, but your campaign is registered as "
                    f"{usecase.replace('_', ' ').lower()}; send offers only on a marketing "
                    "campaign.",
                    (h.start, h.end),
                    h.matched,
                )
            )
    return reasons


def check_campaign(
    *,
    usecase: str,
    sub_usecases: list[str],
    description: str,
    message_flow: str,
    samples: list[str],
    flags: dict,
    brand_name: str,
    brand_domains: list[str],
    rules: CompiledRules,
) -> Decision:
    reasons: list[Reason] = []
    for code in [usecase, *sub_usecases]:
        rule = rules.usecases.get((code or "").upper())
        if rule:
            reasons.append(
                Reason(
                    rule.rule_id,
                    rule.category,
                    rule.verdict,
                    f"The use case {rule.usecase} is not accepted on this platform: {rule.explain}",
                )
            )
    if flags.get("direct_lending"):
        reasons.append(
            Reason(
                "campaign.flag.direct_lending",
                "lending",
                "block",
                "Campaigns about loans or lending are not accepted on this platform.",
            )
        )
    if flags.get("affiliate_marketing"):
        reasons.append(
            Reason(
                "campaign.flag.affiliate_marketing",
                "lead_generation",
                "block",
                "Affiliate marketing and lead generation are not accepted on this platform.",
            )
        )
    if flags.get("age_gated"):
        reasons.append(
            Reason(
                "campaign.flag.age_gated",
                "alcohol",
                "review",
                "Age-gated content (alcohol, tobacco, firearms) is not accepted; our team will "
                "review what this campaign sends.",
            )
        )
    seen: set[str] = {r.rule_id for r in reasons}
    for label, text in (("description", description), ("message flow", message_flow)):
        for r in _content(text, rules, rules.content, []) + _industry_reasons(text, rules):
            if r.rule_id not in seen:
                seen.add(r.rule_id)
                reasons.append(
                    Reason(
                        r.rule_id,
                        r.category,
                        r.verdict,
                        f"In the {label}: {r.message}",
                        r.span,
                        r.matched,
                    )
                )
    if rules.learned is not None and rules.knowledge is not None and description:
        # the campaign gate: what the use case describes, read like a sign-up description
        # (its review band too: a doubtful campaign goes to staff)
        kept: list[Normalised] = []
        found = _content(description, rules, rules.industry, [], kept)
        words = [w[TEXT] for w in kept[0].words]
        for r in _learned_reason(
            description, rules, rules.learned.business, words, "campaign", found
        )[len(found) :]:
            reasons.append(
                Reason(r.rule_id, r.category, r.verdict, f"In the description: {r.message}")
            )
    for n, sample in enumerate(samples, 1):
        if not sample:
            continue
        d = check_message(sample, rules, kind="transactional", brand_domains=brand_domains)
        for r in d.reasons:
            if r.rule_id not in seen:
                seen.add(r.rule_id)
                reasons.append(
                    Reason(
                        r.rule_id,
                        r.category,
                        r.verdict,
                        f"In sample {n}: {r.message}",
                        r.span,
                        r.matched,
                    )
                )
    return _order(reasons)
