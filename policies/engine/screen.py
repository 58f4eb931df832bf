"""The sign-up screen: the industry a business describes, its name and its website
(shorteners, someone else's offer or redirect page, an IP address), with the knowledge's
ordinary senses and the learned layer beside the rules."""

import re

from policies.decisions import Decision, Reason

from . import links as L
from . import signup as S
from .compiler import CompiledRules
from .content import (
    _content,
    _industry_reasons,
    _intent_reasons,
    _order,
    _review_only,
    _shortener,
)
from .knowledge import ordinary_sense
from .learned_gate import (
    _learned_reason,
)
from .normalize import TEXT, Normalised, canonical_phrase


def screen_business(
    name: str, industry_description: str, website: str, rules: CompiledRules
) -> Decision:
    """Sign-up gate: the industry the business describes, its name and its website's name."""
    reasons: list[Reason] = []
    text = f"{name}\n{industry_description}"
    kept: list[Normalised] = []
    reasons += _content(text, rules, rules.industry, [], kept)
    if rules.knowledge is not None:
        reasons += _intent_reasons(
            text, rules, {r.category for r in reasons}, None, _review_only(reasons)
        )
    excused = _excused_categories(industry_description, rules) if rules.knowledge else set()
    if excused:
        reasons = [r for r in reasons if not _excusable(r, excused)]
    overruled: set[str] = set()
    if rules.learned is not None:
        words = [w[TEXT] for w in kept[0].words]
        before = {r.rule_id for r in reasons}
        reasons = _learned_reason(
            text, rules, rules.learned.business, words, "business", reasons, None, len(name)
        )
        # a term read in another sense in the name is read so in the website's name too
        # ("Quick Cash Register Repair", quickcashregisterrepair.com)
        overruled = before - {r.rule_id for r in reasons}
        if excused:  # nor does the layer read them as the excused trade
            reasons = [r for r in reasons if not _excusable(r, excused)]
    host = website.lower()
    host = host.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    if host:
        shortener = _shortener(host, rules.shorteners)
        if shortener:
            reasons.append(
                Reason(
                    "business.website_shortener",
                    "link_shortener",
                    "block",
                    f"The website {website} is a link shortener; give your business's own website.",
                )
            )
        elif _redirect_website(host, website, name) or S.offer_page_website(host, website, name):
            reasons.append(
                Reason(
                    "business.website_redirect",
                    "unbranded_link",
                    "block",
                    f"The website {website} reads as a tracking or redirect link on another "
                    "domain; give your business's own website.",
                )
            )
        elif L.is_ip_host(host.split(":")[0]):
            reasons.append(
                Reason(
                    "business.website_ip",
                    "obfuscated_link",
                    "review",
                    "The website is a bare IP address; give your business's own domain.",
                )
            )
        else:
            # quickcashloans.com -> "quick cash loans" is checked word by word via its labels
            label = host.rsplit(".", 1)[0].replace("-", " ").replace(".", " ")
            seen = {r.rule_id for r in reasons}
            for r in _industry_reasons(label, rules, split_compounds=True):
                # run-together domain names split ambiguously (thetradingpost, stockphoto):
                # only whole phrases of two or more words count from the website alone
                if r.matched.count(" ") < 1 or r.category == "evasion" or r.rule_id in overruled:
                    continue
                if r.category in excused or _website_word_sense(r, text, rules):
                    continue
                if r.rule_id not in seen:
                    reasons.append(
                        Reason(
                            r.rule_id,
                            r.category,
                            r.verdict,
                            f"Your website name “{host}” suggests: {r.message}",
                            None,
                            r.matched,
                        )
                    )
    if not any(r.category == "link_shortener" for r in reasons):
        domain = S.texted_shortener(industry_description, rules.shorteners)
        if domain:
            reasons.append(
                Reason(
                    "business.texted_shortener",
                    "link_shortener",
                    "block",
                    f"The description says the business texts {domain} links: public link "
                    "shorteners are not allowed in messages; use links on your own website's "
                    "domain.",
                )
            )
    return _order(reasons)


def _excused_categories(description: str, rules: CompiledRules) -> set[str]:
    """At sign-up, categories whose words the description reads in their ordinary sense:
    a flat denial of the whole category ("we do not sell kratom"), a regulated lender, help
    for people facing debt collection (signup.py; knowledge, so not with the rules alone)."""
    out = S.denied_categories(description, S.category_parts(rules.categories))
    if S.regulated_lender(description):
        out.add("lending")
    if S.consumer_side_of_collection(description):
        out.add("debt_collection")
    return out


def _excusable(r: Reason, excused: set[str]) -> bool:
    """A plain industry word or the learned layer's reading of an excused category (never
    an evasive spelling, an intent or a link)."""
    return r.category in excused and r.rule_id.startswith(("industry.", "learned."))


def _website_word_sense(r: Reason, text: str, rules: CompiledRules) -> bool:
    """A phrase found in the website's name that the business's words read in its ordinary
    sense (the knowledge's senses: workfromhomefurnishings.com selling desks and chairs)."""
    k = rules.knowledge
    if k is None or r.category not in k.senses or r.matched is None:
        return False
    return ordinary_sense(r.category, canonical_phrase(r.matched), text, 0, len(text), k)


# words that mark a host as a tracking, redirect or offer page rather than a business's site
_REDIRECT_WORDS = frozenset(
    {
        "track", "tracking", "trk", "redirect", "redir", "click", "clicks", "promo", "promos",
        "offer", "offers", "claim", "affiliate", "aff", "referral", "refer", "ref", "go",
        "link", "links", "lnk", "landing", "lp",
    }
)  # fmt: skip


def _redirect_website(host: str, website: str, name: str) -> bool:
    """A sign-up website that is a link into someone else's redirect or offer page
    (claim-coverage-now.xyz/eaw, track-promo-link.info/x): the host carries a redirect or
    offer word, the address points below the home page, and no word of the business's name
    is in the host. A business's own site (with or without a path) names the business."""
    rest = website.split("://", 1)[-1]
    below_home = "?" in rest or bool(rest.partition("/")[2].strip("/"))
    if not below_home:
        return False
    labels = re.split(r"[.\-]", host.rsplit(".", 1)[0])
    if not _REDIRECT_WORDS.intersection(labels):
        return False
    squashed = host.replace("-", "").replace(".", "")
    words = {w for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) >= 4}
    return not any(w in squashed for w in words)
