"""What the engine knows beyond its terms (pure: no ORM, no Django).

- symbols: each emoji's CLDR name (the ``emoji`` package) and the concepts staff map
  symbols to (``🍃`` -> cannabis, ``🔌`` -> drugs), currency signs, quantities, delivery;
- negation scope: the words a "no", "don't", "without", "we do not sell" governs, so
  "no alcohol served" does not read as an offer of alcohol;
- intent patterns: money requests, urgency plus payment, impersonated call-backs, partner
  hand-offs, personal data.

The data is ``policies/fixtures/knowledge_<version>.json``; ``compile_knowledge`` turns it
into lookups once.
"""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import emoji

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures"
_VS16 = "\ufe0f"


@dataclass(frozen=True, slots=True)
class Intent:
    rule_id: str
    category: str
    verdict: str
    label: str
    regex: "re.Pattern[str]"
    explain: str
    needs: tuple[str, ...] = ()  # the lowercased text must contain one of these (speed)

    @property
    def needs_rx(self) -> "re.Pattern[str]":
        return _needs_rx(self.needs)


@dataclass
class Knowledge:
    version: str
    emoji_names: dict[str, str]  # one symbol (no variation selector) -> CLDR name
    emoji_concepts: dict[str, tuple[str, ...]]  # symbol -> concepts staff gave it
    currency: frozenset[str]
    quantity: "re.Pattern[str]"
    delivery: "re.Pattern[str]"
    negation_cues: frozenset[str]
    negation_verbs: frozenset[str]
    negation_enders: frozenset[str]
    negation_max: int
    negation_fillers: frozenset[str]
    intents: list[Intent] = field(default_factory=list)


@lru_cache(maxsize=256)
def _needs_rx(needs: tuple[str, ...]) -> "re.Pattern[str]":
    return re.compile("|".join(re.escape(n) for n in needs))


@lru_cache(maxsize=8)
def _currency_rx(symbols: frozenset[str]) -> "re.Pattern[str]":
    return re.compile("[" + re.escape("".join(sorted(symbols))) + "]")


def knowledge_path() -> Path:
    return sorted(FIXTURE_DIR.glob("knowledge_*.json"))[-1]


def _emoji_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for sym, data in emoji.EMOJI_DATA.items():
        key = sym.replace(_VS16, "")
        name = data.get("en", "").strip(":").lower()
        if key and name:
            names.setdefault(key, name)
    return names


def compile_knowledge(data: dict) -> Knowledge:
    concepts: dict[str, list[str]] = {}
    for concept, symbols in data.get("emoji_concepts", {}).items():
        for s in symbols:
            concepts.setdefault(s.replace(_VS16, ""), []).append(concept)
    neg = data.get("negation", {})
    return Knowledge(
        version=str(data.get("version", "")),
        emoji_names=_emoji_names(),
        emoji_concepts={k: tuple(v) for k, v in concepts.items()},
        currency=frozenset(data.get("currency_symbols", "$")),
        quantity=re.compile(data.get("quantity_pattern", r"(?!)"), re.IGNORECASE),
        delivery=re.compile(data.get("delivery_pattern", r"(?!)"), re.IGNORECASE),
        negation_cues=frozenset(neg.get("cues", [])),
        negation_verbs=frozenset(neg.get("verbs", [])),
        negation_enders=frozenset(neg.get("enders", [])),
        negation_max=int(neg.get("max_words", 6)),
        negation_fillers=frozenset(neg.get("fillers", [])),
        intents=[
            Intent(
                i["id"],
                i["category"],
                i.get("verdict", "review"),
                i.get("label", i["id"]),
                re.compile(i["regex"], re.IGNORECASE),
                i.get("explain", ""),
                tuple(n.lower() for n in i.get("needs", ())),
            )
            for i in data.get("intents", [])
            if i.get("enabled", True)
        ],
    )


@lru_cache(maxsize=1)
def shipped_knowledge() -> Knowledge:
    return compile_knowledge(json.loads(knowledge_path().read_text(encoding="utf-8")))


def symbols(text: str, k: Knowledge) -> list[tuple[str, tuple[str, ...]]]:
    """(CLDR name, concepts) of every emoji in ``text``, in order. Plain ASCII costs nothing."""
    if text.isascii():
        return []
    out = []
    names, concepts = k.emoji_names, k.emoji_concepts
    for ch in text:
        if ord(ch) < 0x2000 or ch == _VS16:
            continue
        name = names.get(ch)
        if name:
            out.append((name, concepts.get(ch, ())))
    # multi-symbol sequences staff listed (😶‍🌫️) and are not single code points
    if "\u200d" in text:
        for seq, cs in concepts.items():
            if len(seq) > 1 and seq in text.replace(_VS16, ""):
                out.append((names.get(seq, seq), cs))
    return out


def cues(text: str, k: Knowledge) -> list[str]:
    """Commerce cues: a price, a quantity, a delivery promise (each at most once)."""
    out = []
    if _currency_rx(k.currency).search(text) or (
        not _NO_QUANTITY.match(text) and _PRICE_WORDS.search(text)
    ):
        out.append("price")
    low = text.lower()
    if (
        not _NO_QUANTITY.match(text) or "eighth" in low or "quarter" in low or "half" in low
    ) and k.quantity.search(text):
        out.append("quantity")
    if k.delivery.search(text):
        out.append("delivery")
    return out


def negated(words: list[str], k: Knowledge) -> list[bool]:
    """For each canonical word, whether a negation governs it.

    A cue ("no", "not", "dont", "without", "never") opens a scope of up to ``max_words``
    words; a verb of trade right after it ("dont sell", "do not carry") is part of the cue;
    an ender ("but", "only") closes it. "X free" negates X. A phrase that starts with the
    cue itself ("no credit check") is the rule's business, not a negation: the caller
    keeps hits that start at a cue.
    """
    n = len(words)
    out = [False] * n
    cues_, enders, verbs = k.negation_cues, k.negation_enders, k.negation_verbs
    i = 0
    while i < n:
        w = words[i]
        if w in cues_ or (w == "do" and i + 1 < n and words[i + 1] == "not"):
            j = i + 1
            left = k.negation_max
            while j < n and left > 0:
                x = words[j]
                if x in enders or (x in cues_ and j > i + 1):
                    break
                if x not in verbs and x not in cues_ and x not in k.negation_fillers:
                    out[j] = True
                    left -= 1
                j += 1
            i = j
            continue
        if w == "free" and i:
            out[i - 1] = True
        i += 1
    return out


_NO_QUANTITY = re.compile(r"^[^0-9]*$")
_PRICE_WORDS = re.compile(r"\b\d+\s?(?:usd|dollars|bucks)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.!?;\n|•]")
_PLAIN_WORD = re.compile(r"[a-z0-9]+")


def negation_cue(text: str, start: int, k: Knowledge) -> int | None:
    """Where the negation that governs the words starting at ``start`` begins (its offset in
    ``text``), or None. Char-level twin of ``negated`` for rule hits: the scope ends at a
    sentence's end, an ender ("but") or after ``max_words`` words (fillers not counted)."""
    lo = max(0, start - 120)
    prefix = text[lo:start]
    ends = list(_CLAUSE_END.finditer(prefix))
    if ends:
        lo += ends[-1].end()
        prefix = prefix[ends[-1].end() :]
    low = prefix.lower().replace("'", "").replace("\u2019", "")
    ws = list(_PLAIN_WORD.finditer(low))
    count = 0
    for m in reversed(ws):
        w = m.group()
        if w in k.negation_enders:
            return None
        if w in k.negation_cues:
            return lo + m.start() if count < k.negation_max else None
        if w not in k.negation_verbs and w not in k.negation_fillers:
            count += 1
    return None


def intents(text: str, k: Knowledge) -> list[tuple[Intent, tuple[int, int]]]:
    found = []
    low = text.lower()
    for it in k.intents:
        if it.needs and not it.needs_rx.search(low):
            continue
        m = it.regex.search(text)
        if m:
            found.append((it, m.span()))
    return found
