"""Does a message read as marketing? A pure classifier of promotional content (no ORM, no
Django), so that the kind a sender declares cannot hide an offer.

    reading = classify("Your order shipped! Use code THANKS10 for 10% off your next order.")
    reading.promotional   # True
    reading.evidence      # "10% off"

The send gates (``messaging.gates``) treat a message declared transactional, informational or
conversational as marketing when ``classify`` says it is promotional. Why it matters: the TCPA
asks for prior express *written* consent for telemarketing texts (47 CFR 64.1200(a)(2),
(f)(9)) and carriers judge traffic by its content, not by the label on it (CTIA Messaging
Principles 5.1: a campaign's messages must match its registered use case).

How it reads a text, in order:

1. *Strong signals* — each alone makes the text promotional: a discount (``20% off``,
   ``$10 off``, ``save $20``, ``half price``, ``BOGO``), a coupon or promo code, a sale, a
   call to buy (``book now``, ``shop today``), urgency (``limited time``, ``today only``,
   ``last chance``), a free offer (``get a free estimate``, ``kids eat free``, ``free gift
   with any purchase``), a price pitch (``only $19.99``, ``3 classes for $30``), a reward
   programme (``double points``, ``refer a friend``), a launch (``grand opening``).
2. *Guards* — phrases that contain such a word and are not an offer cancel the signal they
   contain: ``free parking``, ``ships free``, ``feel free``, ``gluten-free``, ``free of charge``,
   ``discount applied``, ``promo code SPRING was applied``, ``coupon expired``, ``sale #88231``,
   ``point of sale``.
3. *Weak signals* — ``free``, ``deal``, ``save``, ``offer``, ``special``, ``exclusive``, and
   invitations (``this weekend``, ``stop by``, ``call today``): an offer word together with an
   invitation, or two different offer words, make it promotional; one alone does not (an
   answer "the consultation is free" stays an answer).

A price on its own is never promotional (receipts, quotes a customer asked for); a price
pitched (``only``, ``just``, ``starting at``, ``was … now``) is.

Known limits: English only; obfuscated spellings (``2O% 0ff``) are the policy engine's job
(its normaliser); a promotion written without any of these words ("our patio is lovely,
come see it") passes. The labelled near misses in ``tests/policies/promotional/`` and
``manage.py promo_score`` measure it.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

STRONG = 2
WEAK_OFFER = 1
WEAK_INVITE = 0


_EVIDENCE_FIRST = {"percent_off": 0, "money_off": 0, "deal": 1, "price_pitch": 2, "coupon": 3}


@dataclass(frozen=True)
class Signal:
    rule: str
    matched: str
    span: tuple[int, int]
    weight: int  # STRONG, WEAK_OFFER or WEAK_INVITE


@dataclass(frozen=True)
class Reading:
    promotional: bool
    signals: tuple[Signal, ...] = ()

    @property
    def evidence(self) -> str:
        """The words that make it promotional (the first strong signal, else the weak ones)."""
        if not self.promotional:
            return ""
        strong = [s for s in self.signals if s.weight == STRONG]
        if strong:  # the offer itself reads best ("20% off" rather than "Reply YES for")
            return min(strong, key=lambda s: (_EVIDENCE_FIRST.get(s.rule, 9), s.span)).matched
        return " … ".join(dict.fromkeys(s.matched for s in self.signals))

    @property
    def explanation(self) -> str:
        return f"it reads as marketing: “{self.evidence}”" if self.promotional else ""


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: "re.Pattern[str]"
    weight: int
    accept: Callable[["re.Match[str]"], bool] | None = None


def _rx(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern, re.IGNORECASE)


_NOT_BEFORE_SPECIAL = frozenset(
    [
        "a",
        "an",
        "the",
        "very",
        "something",
        "anything",
        "nothing",
        "so",
        "too",
        "extra",
        "really",
        "most",
        "more",
        "your",
        "my",
        "his",
        "her",
        "their",
        "its",
        "is",
        "was",
        "be",
        "this",
        "that",
    ]
)
_NOT_AFTER_SPECIAL = re.compile(
    r"\s+(needs|instructions?|requests?|care|education|attention|occasion|day)\b", re.I
)


def _special(m: "re.Match[str]") -> bool:
    before = m.group(1).lower()
    return before not in _NOT_BEFORE_SPECIAL and not _NOT_AFTER_SPECIAL.match(m.string, m.end())


def _reply_word(m: "re.Match[str]") -> bool:
    return m.group("word").lower() not in {"help", "info", "stop", "start", "cancel"}


def _coupon_token(m: "re.Match[str]") -> bool:
    token = m.group("token")
    return any(c.isalpha() for c in token) and len(token) >= 4


_MONEY = r"\$\s?\d[\d,]*(?:\.\d\d)?"
_NUM = r"(?<![/#\d.,$])(?:\d{1,2}|one|two|three|four|five)"

RULES: tuple[Rule, ...] = (
    # --- discounts -------------------------------------------------------------------------
    Rule("percent_off", _rx(r"\b\d{1,3}\s?%\s?(?:off|discount|savings?|less)\b"), STRONG),
    Rule("percent_off", _rx(r"\b\d{1,3}\s?percent\s+off\b"), STRONG),
    Rule(
        "percent_off",
        _rx(r"\b(?:save|saving|get|take|enjoy|extra|up to)\s+(?:up to\s+|an extra\s+)?\d{1,3}\s?%"),
        STRONG,
    ),
    Rule("percent_off", _rx(r"\bdiscount of \d{1,3}\s?%"), STRONG),
    Rule("percent_off", _rx(r"\b\d{1,3}\s?%\s?[a-z-]+(?:\s[a-z-]+)?\s+discount\b"), STRONG),
    Rule("money_off", _rx(rf"{_MONEY}\s+off\b"), STRONG),
    Rule("money_off", _rx(rf"\bsave\s+(?:up to\s+|an extra\s+)?{_MONEY}"), STRONG),
    Rule("money_off", _rx(r"\bsave big\b"), STRONG),
    Rule("money_off", _rx(rf"\bsaves?\s+you\s+(?:up to\s+)?{_MONEY}"), STRONG),
    Rule("money_off", _rx(rf"{_MONEY}\s+(?:toward|towards|back|in rewards|bonus)\b"), STRONG),
    Rule(
        "money_off",
        _rx(r"\bno\s+(?:enrollment|sign-?up|joining|setup|activation|booking)\s+fees?\b"),
        STRONG,
    ),
    Rule(
        "money_off",
        _rx(r"\b(?:waive|waived|waiving)\s+(?:the\s+|your\s+)?(?:[a-z]+\s)?fees?\b"),
        STRONG,
    ),
    Rule("money_off", _rx(rf"\b(?:add|get|earn)\s+a\s+bonus\s+{_MONEY}"), STRONG),
    Rule("deal", _rx(r"\bbogo\b"), STRONG),
    Rule("deal", _rx(rf"\bbuy\s+{_NUM}\s*,?\s*get\s+{_NUM}\b"), STRONG),
    Rule("deal", _rx(r"\b(?:2|two)\s+for\s+(?:1|one)\b"), STRONG),
    Rule("deal", _rx(r"\bhalf[- ](?:price|off)\b"), STRONG),
    Rule("deal", _rx(r"\bfor the price of\b"), STRONG),
    Rule("deal", _rx(r"\b0\s?%\s+(?:financing|interest|apr)\b"), STRONG),
    Rule("deal", _rx(r"\b(?:deals|doorbusters?|clearance|markdowns?|marked down)\b"), STRONG),
    Rule(
        "deal",
        _rx(r"\bmark(?:ed|ing)?\s+(?:it|them|these|this|prices|everything)\s+down\b"),
        STRONG,
    ),
    Rule(
        "deal",
        _rx(
            r"\b(?:everything must go|closing[- ]down|going out of business|liquidation|blowout)\b"
        ),
        STRONG,
    ),
    Rule("deal", _rx(r"\bhappy hour\b"), STRONG),
    Rule(
        "deal",
        _rx(r"\b(?:huge|big|massive|great|incredible|extra|spring|summer|holiday)\s+savings\b"),
        STRONG,
    ),
    Rule("deal", _rx(r"\bsavings\s+(?:event|days|week|weekend)\b"), STRONG),
    Rule("deal", _rx(rf"\bspend\s+{_MONEY}\s*(?:,|and|&)?\s*(?:get|receive|save|earn)\b"), STRONG),
    Rule(
        "deal",
        _rx(rf"\b(?:get|receive|earn|plus)\s+(?:a\s+)?(?:free\s+)?{_MONEY}\s+gift\s+cards?\b"),
        STRONG,
    ),
    Rule("deal", _rx(r"\b(?:deal|steal)s? of the (?:day|week)\b"), STRONG),
    Rule("deal", _rx(r"\b(?:black friday|cyber monday|prime day)\b"), STRONG),
    Rule("deal", _rx(r"\bprices?\s+(?:slashed|dropped|cut|drop)\b"), STRONG),
    Rule("deal", _rx(r"\b(?:dropped|slashed|lowered)\s+(?:our\s+)?prices\b"), STRONG),
    Rule("deal", _rx(r"\b(?:lowest|unbeatable|best)\s+(?:prices?|deals?|rates?)\b"), STRONG),
    Rule("deal", _rx(r"\bunbeatable\b"), STRONG),
    Rule("deal", _rx(r"\b(?:treat yourself|stock up)\b"), STRONG),
    # --- codes -----------------------------------------------------------------------------
    Rule("coupon", _rx(r"\b(?:promo|coupon|discount|offer|voucher|referral)\s+code\b"), STRONG),
    Rule("coupon", _rx(r"\bcoupons?\b"), STRONG),
    Rule(
        "coupon",
        _rx(r"\b(?:use|enter|apply|with)\s+(?:the\s+)?code:?\s+(?P<token>[A-Za-z0-9]+)"),
        STRONG,
        _coupon_token,
    ),
    # --- sales -----------------------------------------------------------------------------
    Rule("sale", _rx(r"\bsale\b"), STRONG),
    Rule("sale", _rx(r"\bsales\s+event\b"), STRONG),
    # --- calls to buy, urgency -------------------------------------------------------------
    Rule(
        "call_to_buy",
        _rx(
            r"\b(?:book|shop|order|buy|act|sign up|join|enroll|subscribe|pre-?order|reserve)\s+"
            r"(?:online\s+|your\s+[a-z]+\s+)?(?:now|today)\b"
        ),
        STRONG,
    ),
    Rule("call_to_buy", _rx(r"\b(?:grab|get|claim)\s+yours\b"), STRONG),
    Rule("call_to_buy", _rx(r"\bpre-?order\b"), STRONG),
    Rule("urgency", _rx(r"\blimited[- ]time\b"), STRONG),
    Rule("urgency", _rx(r"\bwhile (?:supplies|stocks?) lasts?\b"), STRONG),
    Rule("urgency", _rx(r"\b(?:today|tonight|weekend|this week|this month)\s+only\b"), STRONG),
    Rule("urgency", _rx(r"\bonly\s+(?:this|today|tonight)\b"), STRONG),
    Rule("urgency", _rx(r"\blast chance\b"), STRONG),
    Rule("urgency", _rx(r"\bhurry\b"), STRONG),
    Rule("urgency", _rx(r"\bdon'?t miss (?:out|our|this|these|it)\b"), STRONG),
    Rule(
        "urgency",
        _rx(r"\b(?:offer|deal|promo|promotion|sale|special)s?\s+(?:ends|expires)\b"),
        STRONG,
    ),
    Rule("urgency", _rx(r"\bends (?:tonight|today|soon|at midnight|midnight)\b"), STRONG),
    Rule("urgency", _rx(rf"\bonly\s+{_NUM}\s+(?:spots?|seats?|left|remaining)\b"), STRONG),
    Rule("urgency", _rx(rf"\b{_NUM}\s+(?:spots?|seats?|openings?)\s+left\b"), STRONG),
    Rule("urgency", _rx(r"\b(?:before they sell out|selling fast|going fast)\b"), STRONG),
    # --- free offers ----------------------------------------------------------------------
    Rule(
        "free_offer",
        _rx(
            r"\b(?:get|start|try|claim|enjoy|receive|grab|win|earn|unlock)\s+"
            r"(?:a |an |your |our |\d+ )?(?:[a-z-]+\s){0,2}?free\b"
        ),
        STRONG,
    ),
    Rule("free_offer", _rx(r"\bfree\s+(?:gifts?|samples?|giveaways?)\b"), STRONG),
    Rule("free_offer", _rx(rf"\b{_NUM}\s+(?:[a-z]+\s)?free\b"), STRONG),
    Rule("free_offer", _rx(r"\b(?:throw in|on the house)\b"), STRONG),
    Rule(
        "free_offer",
        _rx(
            r"\b(?:with|on)\s+(?:any|every|each)\s+(?:[a-z-]+\s){0,2}?(?:purchase|order|entree|exam|coffee|visit)\b"
        ),
        STRONG,
    ),
    Rule("free_offer", _rx(r"\bgift with purchase\b"), STRONG),
    Rule("free_offer", _rx(r"\bfree\s+(?:when|if)\s+you\b"), STRONG),
    Rule("free_offer", _rx(r"\b(?:we'll|we will|we'd)\s+(?:include|add|throw in)\b"), STRONG),
    Rule(
        "free_offer",
        _rx(r"\b(?:eat|eats|train|trains|ride|rides|stay|stays|drink|drinks)\s+free\b"),
        STRONG,
    ),
    Rule("free_offer", _rx(r"\bfree for (?:a|one|\d+) (?:weeks?|months?|days?)\b"), STRONG),
    Rule("free_offer", _rx(rf"\b{_NUM}\s+(?:weeks?|months?)\s+free\b"), STRONG),
    Rule("free_offer", _rx(r"\bfirst\s+(?:[a-z]+\s)?(?:is\s+)?(?:free|on us)\b"), STRONG),
    Rule("free_offer", _rx(r"\b(?:is|are|'s)\s+on us\b|\bfree\b[^.!?]{0,30}\bon us\b"), STRONG),
    Rule("free_offer", _rx(r"\b(?:giveaways?|enter to win|sweepstakes)\b"), STRONG),
    Rule("free_offer", _rx(r"\b(?:mention|show)\s+this\s+(?:text|message|sms)\b"), STRONG),
    # --- price pitches --------------------------------------------------------------------
    Rule(
        "price_pitch",
        _rx(
            r"\b(?:for\s+)?(?:only|just|starting at|as low as|from just|for as little as)"
            rf"\s+{_MONEY}"
        ),
        STRONG,
    ),
    Rule("price_pitch", _rx(rf"(?<!is )(?<!balance )\bnow\s+(?:only\s+)?{_MONEY}"), STRONG),
    Rule("price_pitch", _rx(rf"\b(?:reg\.?|regularly|normally|usually|was)\s+{_MONEY}"), STRONG),
    Rule("price_pitch", _rx(rf"{_MONEY}\s*(?:and up|& up|\+ only)\b"), STRONG),
    Rule("price_pitch", _rx(rf"\b{_NUM}\s+(?:[a-z-]+\s){{0,2}}for\s+{_MONEY}"), STRONG),
    Rule(
        "price_pitch",
        _rx(
            rf"\b{_NUM}\s+(?:months?|weeks?|days?)\s+(?:of\s+[a-z-]+\s+)?for\s+(?:just\s+)?{_MONEY}"
        ),
        STRONG,
    ),
    Rule(
        "price_pitch", _rx(rf"\b(?:dinner|lunch|brunch|meal)\s+for\s+(?:two|2)\s+{_MONEY}"), STRONG
    ),
    # --- programmes and launches ----------------------------------------------------------
    Rule("loyalty", _rx(r"\b(?:refer|bring)\s+a\s+friend\b"), STRONG),
    Rule("loyalty", _rx(r"\breferral\s+(?:program|programme|bonus|reward|credit)s?\b"), STRONG),
    Rule(
        "loyalty",
        _rx(r"\b(?:loyalty|rewards|vip)\s+(?:club|program|programme)\b"),
        STRONG,
    ),
    Rule("loyalty", _rx(r"\b(?:double|triple|2x|3x|bonus)\s+(?:points|rewards|miles)\b"), STRONG),
    Rule("loyalty", _rx(r"\bmembers\s+(?:save|get|enjoy)\b"), STRONG),
    Rule("loyalty", _rx(r"\bvip\b"), STRONG),
    Rule(
        "loyalty",
        _rx(r"\bexclusive\s+(?:offers?|deals?|discounts?|access|savings|sale|pricing)\b"),
        STRONG,
    ),
    Rule(
        "launch",
        _rx(r"\b(?:new arrivals|grand opening|just (?:arrived|dropped|launched))\b"),
        STRONG,
    ),
    Rule("launch", _rx(r"\b(?:introducing|launching)\b"), STRONG),
    Rule(
        "special",
        _rx(r"\bspecials\b|\bspecial\s*(?::|offers?|deals?|price|pricing|rates?|promo)"),
        STRONG,
    ),
    Rule("special", _rx(r"\b([a-z]+)[ -]special\b"), STRONG, _special),
    Rule(
        "reply_for_offer",
        _rx(
            r"\breply\s+(?P<word>\w+)\s+(?:for|to get|to claim|to save)\b(?!\s+(?:help|more|info))"
        ),
        STRONG,
        _reply_word,
    ),
    Rule("promotion", _rx(r"\bpromos?\b|\bpromotions?\b"), STRONG),
    # --- weak: offer words ----------------------------------------------------------------
    Rule("free", _rx(r"\bfree\b"), WEAK_OFFER),
    Rule("deal", _rx(r"\bdeal\b"), WEAK_OFFER),
    Rule("save", _rx(r"\b(?:save|savings)\b"), WEAK_OFFER),
    Rule("offer", _rx(r"\boffers?\b"), WEAK_OFFER),
    Rule("discount", _rx(r"\bdiscounts?\b"), WEAK_OFFER),
    Rule("exclusive", _rx(r"\bexclusive\b"), WEAK_OFFER),
    Rule("complimentary", _rx(r"\bcomplimentary\b"), WEAK_OFFER),
    Rule("upgrade", _rx(r"\bupgrade\b"), WEAK_OFFER),
    Rule("lock_in", _rx(r"\block in\b"), WEAK_OFFER),
    Rule("trade_in", _rx(r"\btrade[- ]?in\b|\btrade it in\b"), WEAK_OFFER),
    Rule("early", _rx(r"\bearly[- ](?:bird|registration|access)\b"), WEAK_OFFER),
    Rule("price_each", _rx(rf"{_MONEY}\s+each\b"), WEAK_OFFER),
    # --- weak: invitations ----------------------------------------------------------------
    Rule("invite", _rx(r"\b(?:this|next)\s+(?:week|weekend|month)\b"), WEAK_INVITE),
    Rule(
        "invite",
        _rx(r"\b(?:stop|come)\s+(?:by|in|back)\b|\bvisit us\b|\bwe miss you\b"),
        WEAK_INVITE,
    ),
    Rule("invite", _rx(r"\bcall (?:us )?(?:now|today)\b|\bnew patients?\b"), WEAK_INVITE),
    Rule("invite", _rx(r"\bnow open\b|\blimited\b"), WEAK_INVITE),
)

# Phrases that contain an offer word and are not an offer: a signal inside one is dropped.
GUARDS: tuple["re.Pattern[str]", ...] = (
    _rx(r"\bfree\s+(?:parking|wi-?fi|shuttle|cancellation|returns?(?:\s+shipping)?)\b"),
    _rx(r"\b(?:parking|wi-?fi)\s+is\s+free\b"),
    _rx(r"\bships?\s+free\b"),
    _rx(r"\bfeel free\b|\bfree of charge\b|\btoll[- ]free\b|\bhands[- ]free\b"),
    _rx(r"\b[a-z]+-free\b"),
    _rx(r"\bfree\s+trial\s+(?:ends|expires|has|is|will)\b"),
    _rx(r"\bfree\s+[a-z ]{0,20}\bis included\b"),
    _rx(
        r"\b(?:promo|coupon|discount)(?:\s+code)?\s+(?:[A-Za-z0-9$.,]+\s+){0,3}"
        r"(?:was|were|has been|have been|has|is)\s+(?:applied|redeemed|expired)\b"
    ),
    _rx(r"\bcoupons?\b[^.!?]{0,25}\b(?:expired|applied|redeemed)\b"),
    _rx(r"\bdiscount\s+(?:applied|redeemed)\b"),
    _rx(r"\b(?:point|bill|final|proof) of sale\b|\bfinal sale\b|\bfor sale by\b"),
    _rx(r"\bsale\s*(?:#|no\.|number|receipt|id)\b|\breceipt for your sale\b"),
    _rx(r"\bsale\b[^.!?]{0,25}\b(?:was last|ended|is over|has ended|you saw)\b"),
    _rx(r"\bdon'?t have any (?:sales|deals|offers|promotions)\b"),
)

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).translate(_APOSTROPHES)


def classify(text: str) -> Reading:
    """Is ``text`` promotional, and which words say so (in the order they appear)."""
    text = _prepare(text or "")
    # the guards' spans, read at the first match a guard could drop: most texts (every
    # appointment reminder) match no rule, and the guards were an eighth of the reading
    guarded: list[tuple[int, int]] | None = None
    found: list[Signal] = []
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            if rule.accept is not None and not rule.accept(m):
                continue
            s, e = m.span()
            if guarded is None:
                guarded = [g.span() for guard in GUARDS for g in guard.finditer(text)]
            if any(gs <= s and e <= ge for gs, ge in guarded):
                continue
            found.append(Signal(rule.name, m.group().strip(), (s, e), rule.weight))
    found.sort(key=lambda sig: (sig.span[0], -sig.weight))
    strong = any(sig.weight == STRONG for sig in found)
    offers = {sig.rule for sig in found if sig.weight == WEAK_OFFER}
    invites = any(sig.weight == WEAK_INVITE for sig in found)
    promotional = strong or len(offers) >= 2 or (bool(offers) and invites)
    return Reading(promotional, tuple(found) if promotional else ())


# --- one-time passcodes -----------------------------------------------------------------------

_PASSCODE_WORD = _rx(
    r"\b(?:verification|security|login|log-in|sign-in|access|confirmation|one-time|2fa|mfa)"
    r"\s+(?:code|pin)\b|\b(?:passcode|otp|one-time password|temporary pin|your code|pin)\b"
)
_CODE_TOKEN = re.compile(r"(?<![\w$.,])(?:\d{4,10}|\d{3}[- ]\d{3})(?![\w.,]*\d)")


def is_passcode(text: str) -> bool:
    """A text that only delivers a one-time code: a code word, a 4–10 digit code, no link,
    at most 160 characters, and nothing promotional."""
    text = _prepare(text or "")
    if len(text) > 160 or re.search(r"https?://|www\.", text, re.I):
        return False
    if not (_PASSCODE_WORD.search(text) and _CODE_TOKEN.search(text)):
        return False
    return not classify(text).promotional


# --- scoring a labelled set (manage.py promo_score, the tests) -------------------------------


@dataclass(frozen=True)
class Score:
    items: int
    precision: float
    recall: float
    misses: tuple[dict, ...]  # {"id", "body", "expected", "signals"}

    def as_dict(self) -> dict:
        return {
            "items": self.items,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "misses": list(self.misses),
        }


def score(rows: list[dict]) -> Score:
    """Precision and recall of ``classify`` on rows {"id", "body", "promotional"}."""
    tp = fp = fn = 0
    misses = []
    for row in rows:
        reading = classify(row["body"])
        expected = bool(row["promotional"])
        if reading.promotional and expected:
            tp += 1
        elif reading.promotional != expected:
            if expected:
                fn += 1
            else:
                fp += 1
            misses.append(
                {
                    "id": row["id"],
                    "body": row["body"],
                    "expected": expected,
                    "signals": [s.matched for s in reading.signals],
                }
            )
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return Score(len(rows), precision, recall, tuple(misses))
