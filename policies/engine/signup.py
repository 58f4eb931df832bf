"""What the sign-up screen knows about a business beyond its words' categories (pure: no ORM).

- a website on someone else's offer or redirect page: a tracking path or query, a cheap
  top-level domain, an offer or log-in word in a host that does not name the business;
- a description that says the business texts public shortener links ("we text is.gd links");
- a flat denial of a category ("We do not sell kratom, CBD or alcohol."): the business
  says it is not in that trade, so the category's plain words in it are read so;
- a regulated lender (an NMLS licence, FDIC or NCUA insurance, Equal Housing Lender) with
  nothing of the high-risk lending trade (payday, title loans, cash advances);
- a business on the consumer's side of debt collection (legal aid "for tenants facing debt
  collection lawsuits", "stop collector harassment").

``checks.screen_business`` calls these; each is a rule of the world, tested in
``tests/policies/test_signup_s9.py`` with examples of its own.
"""

import re

from . import links as L
from .normalize import canonical_phrase

# --- websites --------------------------------------------------------------------------

# a host's words that name an offer, a deal or a log-in page rather than a business (found
# inside run-together labels too: "autodealsnow", "bestdealz-hub")
_OFFER_IN_HOST = re.compile(
    r"(?<!i)deals?|dealz|offers?|promos?|claims?|bonus|prizes?|rewards?|coupons?|"
    r"giveaway|freebies?|secure|portal|verify|verification|login|signin|redirect|track"
)
# the first segment of a tracking or redirect path: /r/8831, /go?cid=..., /click/...
_TRACKING_SEGMENTS = frozenset(
    {
        "r", "go", "l", "c", "t", "out", "click", "clk", "track", "trk", "redirect", "redir",
        "aff", "ref", "link", "lnk", "visit", "jump", "offer", "promo",
    }
)  # fmt: skip
# query keys of a click tracker or an affiliate network (besides links.AFFILIATE_PARAMS)
_TRACKING_KEYS = frozenset({"ref", "cid", "clid", "click", "src", "source", "tid", "trk", "rid"})
# top-level domains sold for pennies and most abused by spam and phishing (Spamhaus and
# Interisle's yearly counts), next to which a business's own site is rare
CHEAP_TLDS = frozenset(
    {
        "click", "xyz", "top", "icu", "buzz", "cfd", "sbs", "cyou", "rest", "monster", "quest",
        "bond", "loan", "win", "bid", "tk", "ml", "ga", "cf", "gq", "work", "support", "link",
        "fit", "surf", "lol", "mom", "zip", "country", "stream", "download", "racing", "review",
    }
)  # fmt: skip
# words of a business name that say what it is, not who: a host may share them by chance
_GENERIC_NAME_WORDS = frozenset(
    {
        "auto", "autos", "repair", "repairs", "service", "services", "group", "home", "homes",
        "care", "health", "clinic", "dental", "family", "center", "centre", "shop", "store",
        "company", "best", "deals", "quick", "pros", "solutions", "city", "club", "studio",
        "salon", "market", "law", "office", "pediatrics", "medical", "realty", "roofing",
    }
)  # fmt: skip


def _tracking_address(rest: str) -> bool:
    """A path or query that counts clicks: /r/<id>, /go?cid=tony, ?ref=..., ?aff_id=..."""
    path, _, query = rest.partition("?")
    segments = [s for s in path.split("/")[1:] if s]
    if segments and segments[0].lower() in _TRACKING_SEGMENTS:
        return True
    keys = {p.split("=", 1)[0].lower() for p in query.split("&") if p}
    return bool(keys & (_TRACKING_KEYS | L.AFFILIATE_PARAMS))


def _names_business(host: str, name: str) -> bool:
    """The host names the business: its first word, or one of its words that is not a
    trade's generic word ("Tony's Auto Repair" is not named by autodealsnow.net)."""
    squashed = host.replace("-", "").replace(".", "")
    words = [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in {"the", "a", "an"}]
    if words and len(words[0]) >= 3 and words[0] in squashed:
        return True
    return any(len(w) >= 4 and w not in _GENERIC_NAME_WORDS and w in squashed for w in words)


def offer_page_website(host: str, website: str, name: str) -> bool:
    """A sign-up website that is a page on someone else's offer or redirect domain
    (bestdeals-hub.click/r/88, secure-portal.xyz/m?ref=x, autodealsnow.net/go?cid=tony):
    below the home page, a host with an offer or log-in word that does not name the
    business, and a tracking address or a cheap top-level domain besides. A business's own
    site (joesautorepair.com/coupons, smiles.dental/book?ref=google) names the business or
    carries neither mark."""
    rest = website.split("://", 1)[-1]
    rest = rest[len(rest.split("/", 1)[0].split("?", 1)[0]) :]
    if not rest.strip("/"):
        return False
    stem, _, tld = host.rpartition(".")
    if not stem or not _OFFER_IN_HOST.search(stem):
        return False
    if not (_tracking_address(rest) or tld in CHEAP_TLDS):
        return False
    return not _names_business(host, name)


# --- what a description says it texts ----------------------------------------------------

# a sentence that says a practice is not the business's ("we never use bit.ly links")
_DENIED_BEFORE = re.compile(
    r"\b(?:never|not|no|don'?t|don’t|doesn'?t|won'?t|without|instead\s+of|rather\s+than)\b"
    r"[^.!?;\n]*\Z"
)


def texted_shortener(description: str, shorteners: frozenset[str]) -> str | None:
    """A public shortener the description names as what the business texts (it would be
    blocked in every message), unless the sentence denies it: the domain, or None."""
    for link in L.find_links(description, shorteners):
        host = link.host.lower().removeprefix("www.")
        domain = L.known_host(host, shorteners)
        if domain is None:
            continue
        start = max(description.rfind(c, 0, link.start) for c in ".!?;\n") + 1
        if not _DENIED_BEFORE.search(description, start, link.start):
            return domain
    return None


# --- a flat denial of a category ----------------------------------------------------------

# "we do not sell kratom, CBD or alcohol.", "we don't carry tobacco or vapes": the list runs
# to the sentence's end, each item one or two words (not "alcohol to minors", "kratom
# anymore": a qualified denial says less)
_FLAT_DENIAL = re.compile(
    r"\b(?:we|i)\s+(?:do\s+not|don'?t|don’t|never|no\s+longer)\s+"
    r"(?:sell|carry|serve|offer|stock|have|make|provide)\s+(?:any\s+)?"
    r"(?P<items>[\w’'\-]+(?:\s[\w’'\-]+)?"
    r"(?:\s*(?:,\s*(?:or\s+|and\s+|nor\s+)?|\s+(?:or|and|nor)\s+)[\w’'\-]+(?:\s[\w’'\-]+)?)*)"
    r"\s*(?:[.!?;\n]|\Z)",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(r"\s*,\s*(?:or\s+|and\s+|nor\s+)?|\s+(?:or|and|nor)\s+")


def category_parts(categories: dict[str, dict]) -> dict[str, list[tuple[str, ...]]]:
    """What each category's name says it covers, as canonical phrases: "Kratom and
    similar" -> [kratom], "Tobacco and vape" -> [tobacco, vape], "Work from home / MLM" ->
    [work from home, mlm] ("similar" names nothing)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for slug, c in categories.items():
        parts = re.split(r"\s+and\s+|\s*/\s*|\s*,\s*", str(c.get("name") or slug))
        out[slug] = [canonical_phrase(p) for p in parts if p.strip().lower() != "similar"]
    return out


def denied_categories(description: str, parts: dict[str, list[tuple[str, ...]]]) -> set[str]:
    """The categories the description flatly denies selling, every trade its name covers
    ("We do not sell kratom, CBD or alcohol." denies kratom and alcohol, not "Cannabis and
    CBD": a CBD shop that sells no cannabis is still in that category)."""
    said: set[tuple[str, ...]] = set()
    for m in _FLAT_DENIAL.finditer(description):
        said.update(canonical_phrase(item) for item in _ITEM_SPLIT.split(m.group("items")))
    if not said:
        return set()
    return {cat for cat, ps in parts.items() if ps and all(p in said for p in ps)}


# --- regulated lenders, and the consumer's side of debt collection -------------------------

_LICENSED_LENDER = re.compile(
    r"\bnmls\b|\bmember\s+fdic\b|\bfdic[\s-]+insured\b|\bncua\b|\bequal\s+housing\s+"
    r"(?:lender|opportunity)\b|\bcredit\s+union\b",
    re.IGNORECASE,
)
_HIGH_RISK_LENDING = re.compile(
    r"\bpayday\b|\bcash\s+advances?\b|\btitle\s+(?:loans?|pawn)\b|\bno\s+credit\s+checks?\b|"
    r"\bguaranteed\s+(?:approval|loans?)\b|\bbad\s+credit\b|\bsame[\s-]day\s+(?:cash|loans?|"
    r"funding)\b|\binstant\s+(?:cash|loans?|approval)\b|\bmerchant\s+cash\b|\bpawn",
    re.IGNORECASE,
)


def regulated_lender(description: str) -> bool:
    """A lender that names its licence or insurer (NMLS, Member FDIC, NCUA, Equal Housing
    Lender, a credit union) and nothing of the high-risk trade: ordinary, regulated lending
    (a bank's mortgages, a licensed broker's status updates), not payday or title loans."""
    return bool(_LICENSED_LENDER.search(description)) and not _HIGH_RISK_LENDING.search(description)


_CONSUMER_SIDE = re.compile(
    r"\b(?:facing|fighting|fight|defend\w*|defense\s+(?:against|of|from)|against|sued\s+"
    r"(?:by|over|for)|stop(?:ping)?|victims?\s+of|protect\w*\s+(?:\w+\s+)?from|help\w*\s+"
    r"(?:\w+\s+){0,3}with)\s+(?:\w+\s+(?:or|and)\s+)?(?:abusive\s+|unfair\s+)?debt\s+collect"
    r"|\bdebt\s+collection\s+(?:lawsuits?|suits?|defen[cs]e|harassment|abuse|cases?\s+against)",
    re.IGNORECASE,
)
_COLLECTOR_SIDE = re.compile(
    r"\b(?:for|on\s+behalf\s+of)\s+(?:\w+\s+)?(?:creditors|lenders|landlords|businesses|"
    r"clients'?\s+accounts)\b|\bwe\s+(?:collect|recover)\b|\bcollection\s+agency\b|"
    r"\baccounts\s+receivable\b|\bcontingency\b|\bskip\s+trac",
    re.IGNORECASE,
)


def consumer_side_of_collection(description: str) -> bool:
    """Help for people a collector pursues (legal aid "for tenants facing eviction or debt
    collection lawsuits", "stop collector harassment"), with nothing of a collector's own
    trade (collecting for creditors, contingency fees, skip tracing)."""
    return bool(_CONSUMER_SIDE.search(description)) and not _COLLECTOR_SIDE.search(description)
