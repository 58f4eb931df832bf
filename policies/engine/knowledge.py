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

from .accel import ENGINE_DIR  # the sources' folder, also when this module is compiled
from .normalize import canonical_phrase

FIXTURE_DIR = ENGINE_DIR.parent / "fixtures"
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
    # the same pattern without IGNORECASE, searched in the lowercased text (2-3x faster in
    # CPython's re); None when the pattern spells an upper-case letter of its own
    lower: "re.Pattern[str] | None" = None
    needs_rx: "re.Pattern[str] | None" = None  # the needs as one pattern (set on compile)
    # a negation right before the match cancels it ("we never sell customer data", "we do
    # not share your number with partners"): for intents that describe a practice
    negatable: bool = False
    # the learned layer's word-sense vetoes never overrule a text this intent matches (a
    # call to vote for a candidate, a veiled threat, a fee to release a grant: no ordinary
    # sense, however ordinary the rest of a long newsletter reads); at review, it still
    # raises its category to its own verdict
    firm: bool = False


@dataclass(frozen=True, slots=True)
class Sense:
    """The other sense of a category's plain terms, told by the words around them: a loan
    "payment was received" is an account being serviced, not a loan offered; a "casino
    night" fundraiser with play money is a party; "polls open" with no candidate, party or
    cause is a civic notice. A plain (not evasive) hit of ``category`` — of one of ``terms``
    when given — is not an offer when ``ordinary`` is found around it (its sentence, or the
    whole text with scope "text") or when ``requires`` is given and found nowhere in the
    text; never when ``unless`` is found anywhere in the text (what makes it an offer
    after all). Patterns are searched in the lowercased text."""

    category: str
    terms: frozenset[tuple[str, ...]]  # canonical words of the rule phrases; empty: all
    ordinary: "re.Pattern[str] | None"
    requires: "re.Pattern[str] | None"
    unless: "re.Pattern[str] | None"
    whole_text: bool


@dataclass
class Knowledge:
    version: str
    emoji_names: dict[str, str]  # one symbol (no variation selector) -> CLDR name
    emoji_concepts: dict[str, tuple[str, ...]]  # symbol -> concepts staff gave it
    currency: frozenset[str]
    quantity: "re.Pattern[str]"  # searched in the lowercased text (see _lower_rx)
    delivery: "re.Pattern[str]"
    negation_cues: frozenset[str]
    negation_verbs: frozenset[str]
    negation_enders: frozenset[str]
    negation_max: int
    negation_fillers: frozenset[str]
    intents: list[Intent] = field(default_factory=list)
    # a negation after the term, matched right where the term ends ("... isn't something
    # we sell", "... are not sold here"): the knowledge fixture's negation.after pattern
    negation_after: "re.Pattern[str] | None" = None
    quantity_lower: "re.Pattern[str] | None" = None
    delivery_lower: "re.Pattern[str] | None" = None
    # ``delivery_lower`` without its leading ``\b`` (None if it has none): searched with the
    # word boundary checked by hand (``_search_at_boundary``)
    delivery_tail: "re.Pattern[str] | None" = None
    # the same for the quantity pattern, whose rest starts with ``\d+`` (nothing that lets
    # ``re`` skip offsets): in ASCII text, ``quantity_starts`` finds the rest right after a
    # non-word character, a plain set ``re`` skips to (``_search_at_word_start``)
    quantity_tail: "re.Pattern[str] | None" = None
    quantity_starts: "re.Pattern[str] | None" = None
    # every intent's needs in one pass: a trie-shaped pattern finds, at each offset of the
    # lowercased text, the longest literal starting there (searched again one character
    # after each find, so overlapping literals are all found); each literal stands for the
    # intents of itself and of every literal that is a prefix of it
    needs_scan: "re.Pattern[str] | None" = None
    needs_intents: dict[str, frozenset[str]] = field(default_factory=dict)
    # the literals that start outside ASCII ("bầu", "投票", "투표"), in a trie of their own
    # searched only in text outside ASCII: in the one pass, their first characters made
    # ``re`` test every offset of every text against a wide character set
    needs_scan_wide: "re.Pattern[str] | None" = None
    # canonical words that name an ordinary trade ("upholstery", "plumbing", "salon"): at
    # sign-up, a description naming one is an ordinary business's (learned_gate._learned_reason)
    ordinary_trades: frozenset[str] = frozenset()
    senses: dict[str, tuple[Sense, ...]] = field(default_factory=dict)  # by category


def _needs_rx(needs: tuple[str, ...]) -> "re.Pattern[str] | None":
    return re.compile("|".join(re.escape(n) for n in needs)) if needs else None


def _trie_source(literals: list[str]) -> str:
    """One pattern for many literals, shaped as their trie ("bank( account| login)?"):
    CPython's re tries each branch in turn, so a trie costs one step per character where a
    flat alternation costs one step per literal."""
    trie: dict = {}
    for lit in literals:
        node = trie
        for ch in lit:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(c for c in node if c)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return emit(trie)


def _needs_scan(intents: list[Intent]) -> tuple["re.Pattern[str] | None", dict]:
    owners: dict[str, set[str]] = {}
    for it in intents:
        for n in it.needs:
            owners.setdefault(n, set()).add(it.rule_id)
    if not owners:
        return None, {}
    expanded = {
        lit: frozenset().union(*(ids for other, ids in owners.items() if lit.startswith(other)))
        for lit in owners
    }
    narrow = sorted(lit for lit in owners if lit[:1].isascii())
    return (re.compile(_trie_source(narrow)) if narrow else None), expanded


def _wide_needs_scan(intents: list[Intent]) -> "re.Pattern[str] | None":
    """The trie of the needs that start outside ASCII (``Knowledge.needs_scan_wide``)."""
    wide = sorted({n for it in intents for n in it.needs if not n[:1].isascii()})
    return re.compile(_trie_source(wide)) if wide else None


def _needs_found(scan: "re.Pattern[str]", low: str) -> set[str]:
    """The literals ``scan`` finds at every offset of ``low``: what ``findall`` of the
    lookahead ``(?=(scan))`` gives, without entering a lookahead at every offset (the
    plain pattern lets ``re`` skip offsets whose character starts no literal)."""
    found: set[str] = set()
    search = scan.search
    pos = 0
    while (m := search(low, pos)) is not None:
        found.add(m.group())
        pos = m.start() + 1
        if pos > len(low):
            break  # an empty literal matched at the end
    return found


@lru_cache(maxsize=8)
def _currency_rx(symbols: frozenset[str]) -> "re.Pattern[str]":
    return re.compile("[" + re.escape("".join(sorted(symbols))) + "]")


@lru_cache(maxsize=8)
def _ascii_currency(symbols: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(c for c in symbols if c.isascii()))


def _has_currency(text: str, symbols: frozenset[str]) -> bool:
    """``_currency_rx(symbols).search(text)``; in ASCII text only an ASCII sign can be
    there, and ``in`` finds it without trying a set at every offset."""
    if text.isascii():
        return any(map(text.__contains__, _ascii_currency(symbols)))
    return _currency_rx(symbols).search(text) is not None


_ESCAPE = re.compile(r"\\.")


def _lower_rx(source: str) -> "re.Pattern[str] | None":
    """``source`` compiled case-sensitively, for lowercased text: None if it names an
    upper-case letter itself (outside escapes such as ``\\W``), which lowercased text
    could never match."""
    if any(c.isupper() for c in _ESCAPE.sub("", source)):
        return None
    return re.compile(source)


_PARSER = getattr(re, "_parser", None)  # CPython's own parser of patterns (3.11+)


def _boundary_tail(source: str) -> "re.Pattern[str] | None":
    """``source`` without its leading ``\\b``, compiled case-sensitively (for lowercased
    text), when ``source`` is that ``\\b`` followed by the rest (no alternation around it:
    checked with ``re``'s own parser); else None. A pattern that starts with ``\\b`` makes
    ``re`` try every offset; the rest alone lets it skip offsets whose character cannot
    start a match."""
    if _PARSER is None or not source.startswith(r"\b") or _lower_rx(source) is None:
        return None
    whole, rest = _PARSER.parse(source), _PARSER.parse(source[2:])
    if whole.state.flags & (re.ASCII | re.LOCALE):
        return None  # a \\b of another alphabet of word characters than ``_is_word``'s
    if list(whole.data[:1]) != [(_PARSER.AT, _PARSER.AT_BOUNDARY)]:
        return None
    if repr(list(whole.data[1:])) != repr(list(rest.data)) or not rest.data:
        return None
    return re.compile(source[2:])


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"  # what \w matches in a str pattern


def _search_at_boundary(tail: "re.Pattern[str]", low: str):
    """``re.search(r"\\b" + tail.pattern, low)``: ``tail``'s leftmost match that starts at
    a word boundary."""
    pos = 0
    n = len(low)
    while (m := tail.search(low, pos)) is not None:
        p = m.start()
        if (p > 0 and _is_word(low[p - 1])) != (p < n and _is_word(low[p])):
            return m
        if p >= n:
            return None
        pos = p + 1
    return None


def _first_chars(items) -> list | None:
    """The characters a match of ``items`` (a pattern parsed by ``re``'s parser) can start
    with, as items of a character class (``\\d`` and ``\\w`` as ``re``'s category
    constants), when each is a word character and the match cannot be empty; None when that
    is not known (an empty match, an anchor, a look-around, a negated or non-word set, flags
    set inside)."""
    if _PARSER is None or not len(items):
        return None
    p = _PARSER
    op, av = items[0]
    if op is p.LITERAL:
        return [re.escape(chr(av))] if _is_word(chr(av)) else None
    if op is p.IN:
        out = []
        for iop, iav in av:
            if iop is p.LITERAL and _is_word(chr(iav)):
                out.append(re.escape(chr(iav)))
            elif iop is p.RANGE and iav[1] - iav[0] < 0x400:
                if not all(_is_word(chr(c)) for c in range(iav[0], iav[1] + 1)):
                    return None
                out.append(re.escape(chr(iav[0])) + "-" + re.escape(chr(iav[1])))
            elif iop is p.CATEGORY and iav in _ASCII_CATEGORIES:
                out.append(iav)  # \\d, \\w: word characters only
            else:
                return None
        return out or None
    if op in (p.MAX_REPEAT, p.MIN_REPEAT, p.POSSESSIVE_REPEAT):
        return _first_chars(av[2]) if av[0] >= 1 else None
    if op is p.SUBPATTERN:
        return _first_chars(av[3]) if not av[1] and not av[2] else None
    if op is p.BRANCH:
        out = []
        for alt in av[1]:
            got = _first_chars(alt)
            if got is None:
                return None
            out += got
        return out
    return None


# \d and \w of a str pattern, as they read ASCII text
_ASCII_CATEGORIES = (
    {_PARSER.CATEGORY_DIGIT: "0-9", _PARSER.CATEGORY_WORD: "0-9A-Za-z_"}
    if _PARSER is not None
    else {}
)


def _word_starts(source: str) -> "re.Pattern[str] | None":
    """For ``source`` a leading ``\\b`` and a rest (``_boundary_tail``) whose every match
    starts with a word character and that has no group of its own: a pattern for ASCII text
    that finds the rest right after a character that is not a word character (where that
    ``\\b`` holds), as the rest's group 1, once a look-ahead has seen a character that can
    begin it. Its first item is a plain character set, which ``re`` skips to by itself (the
    ``\\b`` made it try every offset); else None."""
    if _PARSER is None or _boundary_tail(source) is None:
        return None
    rest = _PARSER.parse(source[2:])
    first = _first_chars(rest)
    if first is None or rest.state.groups != 1:
        return None
    first = [_ASCII_CATEGORIES.get(f, f) for f in first]
    return re.compile("[^0-9A-Za-z_](?=[" + "".join(first) + "])(" + source[2:] + ")")


def _search_at_word_start(
    starts: "re.Pattern[str]", tail: "re.Pattern[str]", low: str
) -> tuple[int, int] | None:
    """The span of ``re.search(r"\\b" + tail.pattern, low)`` for ASCII ``low``, when
    ``starts`` is ``_word_starts`` of that pattern: at offset 0 if the text starts with a
    word character, else right after the first non-word character where it matches."""
    if low[:1].isalnum() or low[:1] == "_":
        m = tail.match(low)
        if m is not None:
            return m.span()
    m = starts.search(low)
    return m.span(1) if m is not None else None


def _search(rx: "re.Pattern[str]", lower: "re.Pattern[str] | None", text: str, low: str):
    """``rx`` (IGNORECASE) on ``text``, through its case-sensitive twin on ``low`` when
    lowercasing kept every offset (it does except for a few letters such as "İ")."""
    if lower is not None and len(low) == len(text):
        return lower.search(low)
    return rx.search(text)


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


def _sense_pattern(e: dict, f: str) -> "re.Pattern[str] | None":
    """A sense's "ordinary", "requires" or "unless" pattern (None where not given)."""
    return re.compile(e[f]) if e.get(f) else None


def compile_knowledge(data: dict) -> Knowledge:
    concepts: dict[str, list[str]] = {}
    for concept, symbols in data.get("emoji_concepts", {}).items():
        for s in symbols:
            concepts.setdefault(s.replace(_VS16, ""), []).append(concept)
    neg = data.get("negation", {})
    quantity = data.get("quantity_pattern", r"(?!)")
    delivery = data.get("delivery_pattern", r"(?!)")
    k = Knowledge(
        version=str(data.get("version", "")),
        emoji_names=_emoji_names(),
        emoji_concepts={k: tuple(v) for k, v in concepts.items()},
        currency=frozenset(data.get("currency_symbols", "$")),
        quantity=re.compile(quantity, re.IGNORECASE),
        delivery=re.compile(delivery, re.IGNORECASE),
        quantity_lower=_lower_rx(quantity),
        delivery_lower=_lower_rx(delivery),
        delivery_tail=_boundary_tail(delivery),
        quantity_tail=_boundary_tail(quantity),
        quantity_starts=_word_starts(quantity),
        negation_cues=frozenset(neg.get("cues", [])),
        negation_verbs=frozenset(neg.get("verbs", [])),
        negation_enders=frozenset(neg.get("enders", [])),
        negation_max=int(neg.get("max_words", 6)),
        negation_fillers=frozenset(neg.get("fillers", [])),
        negation_after=re.compile(neg["after"], re.IGNORECASE) if neg.get("after") else None,
        intents=[
            Intent(
                i["id"],
                i["category"],
                i.get("verdict", "review"),
                i.get("label", i["id"]),
                re.compile(i["regex"], re.IGNORECASE),
                i.get("explain", ""),
                tuple(n.lower() for n in i.get("needs", ())),
                _lower_rx(i["regex"]),
                _needs_rx(tuple(n.lower() for n in i.get("needs", ()))),
                bool(i.get("negatable", False)),
                bool(i.get("firm", False)),
            )
            for i in data.get("intents", [])
            if i.get("enabled", True)
        ],
    )
    k.needs_scan, k.needs_intents = _needs_scan(k.intents)
    k.needs_scan_wide = _wide_needs_scan(k.intents)
    senses: dict[str, list[Sense]] = {}
    for e in data.get("senses", []):
        senses.setdefault(e["category"], []).append(
            Sense(
                e["category"],
                frozenset(canonical_phrase(t) for t in e.get("terms", [])),
                _sense_pattern(e, "ordinary"),
                _sense_pattern(e, "requires"),
                _sense_pattern(e, "unless"),
                e.get("scope", "sentence") == "text",
            )
        )
    k.senses = {c: tuple(v) for c, v in senses.items()}
    k.ordinary_trades = frozenset(
        w
        for phrase in data.get("ordinary_trades", {}).get("words", [])
        for w in canonical_phrase(phrase)
    )
    return k


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


def cues(text: str, k: Knowledge, low: str | None = None) -> list[str]:
    """Commerce cues: a price, a quantity, a delivery promise (each at most once).
    ``low``: ``text.lower()`` if the caller has it."""
    out = []
    if low is None:
        low = text.lower()
    digits = _DIGIT.search(text) is not None
    if _has_currency(text, k.currency) or (
        digits
        and ("usd" in low or "dollars" in low or "bucks" in low)  # what _PRICE_WORDS needs
        and _PRICE_WORDS.search(low)
    ):
        out.append("price")
    if (digits or "eighth" in low or "quarter" in low or "half" in low) and (
        _search_at_word_start(k.quantity_starts, k.quantity_tail, low)
        if k.quantity_starts is not None and k.quantity_tail is not None and low.isascii()
        else _search(k.quantity, k.quantity_lower, text, low)
    ):
        out.append("quantity")
    if k.delivery_tail is not None and len(low) == len(text):
        delivery = _search_at_boundary(k.delivery_tail, low)
    else:
        delivery = _search(k.delivery, k.delivery_lower, text, low)
    if delivery:
        out.append("delivery")
    return out


def negated(words: list[str], k: Knowledge, compounds: frozenset[str] = frozenset()) -> list[bool]:
    """For each canonical word, whether a negation governs it.

    A cue ("no", "not", "dont", "without", "never") opens a scope of up to ``max_words``
    words; a verb of trade right after it ("dont sell", "do not carry") is part of the cue;
    an ender ("but", "only") closes it. "X free" and "non X" negate X. A phrase that
    starts with the cue itself ("no credit check") is the rule's business, not a negation:
    the caller keeps hits that start at a cue. ``compounds``: words written right after
    "no-" in the text ("no-strings", "no-fuss"): such a "no" makes one adjective with its word and
    negates that word only ("no-fuss payday loans" still offers payday loans).
    """
    n = len(words)
    out = [False] * n
    cues_, enders, verbs = k.negation_cues, k.negation_enders, k.negation_verbs
    i = 0
    while i < n:
        w = words[i]
        if w == "no" and i + 1 < n and words[i + 1] in compounds:
            out[i + 1] = True
            i += 2
            continue
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
        elif w == "non" and i + 1 < n:  # "non-alcoholic", "non alcoholic": the next word
            out[i + 1] = True
        i += 1
    return out


_DIGIT = re.compile(r"[0-9]")
# searched in the lowercased text: "40 bucks", "40bucks"
_PRICE_WORDS = re.compile(r"\d\s?(?:usd|dollars|bucks)\b")
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
            if count and low[m.end() : m.end() + 1] == "-":
                return None  # "no-fuss payday loans": "no-" negates its own word only
            return lo + m.start() if count < k.negation_max else None
        if w not in k.negation_verbs and w not in k.negation_fillers:
            count += 1
    return None


def ordinary_sense(
    category: str, words: tuple[str, ...], text: str, start: int, end: int, k: Knowledge
) -> bool:
    """Whether a plain hit of ``category`` (rule words ``words``, at ``start:end`` of
    ``text``) reads in its ordinary sense by the knowledge's ``senses`` (see ``Sense``)."""
    low = ""
    for sense in k.senses.get(category, ()):
        if sense.terms and words not in sense.terms:
            continue
        if not low:
            low = text.lower()
            if len(low) != len(text):  # a few letters ("İ") change length when lowercased
                low = "".join(c.lower()[:1] for c in text)
        if sense.unless is not None and sense.unless.search(low):
            continue
        if sense.requires is not None and not sense.requires.search(low):
            return True
        if sense.ordinary is None:
            continue
        if sense.whole_text:
            lo, hi = 0, len(low)
        else:
            ends = [m.end() for m in _SENSE_CLAUSE.finditer(low, 0, start)]
            lo = ends[-1] if ends else 0
            m = _SENSE_CLAUSE.search(low, end)
            hi = m.start() if m else len(low)
        if sense.ordinary.search(low, lo, hi):
            return True
    return False


# where a sentence ends, for a sense's "ordinary" words around a hit (not "$312.44")
_SENSE_CLAUSE = re.compile(r"[.!?;](?!\S)|\n")


def intents(
    text: str, k: Knowledge, low: str | None = None
) -> list[tuple[Intent, tuple[int, int]]]:
    found = []
    if low is None:
        low = text.lower()
    present: set[str] = set()
    owners = k.needs_intents
    if k.needs_scan is not None:
        for lit in _needs_found(k.needs_scan, low):
            present |= owners[lit]
    if k.needs_scan_wide is not None and not low.isascii():
        for lit in _needs_found(k.needs_scan_wide, low):
            present |= owners[lit]
    for it in k.intents:
        if it.needs and it.rule_id not in present:
            continue
        m = _search(it.regex, it.lower, text, low)
        if m and not (
            it.negatable and _NEGATED_BEFORE.search(low, max(0, m.start() - 45), m.start())
        ):
            found.append((it, m.span()))
    return found


# "no-strings", "no-fuss": the word a hyphenated "no" makes an adjective with
NO_COMPOUND = re.compile(r"\bno-([a-z]+)")


# "we never ", "we do not ", "we will never ask you for ": a negation at most three words
# before a match, or before a list of verbs the match ends ("we never sell or share your
# number", "we do not sell, rent or share your data", "nunca compartimos"); not "don't
# forget to", "don't wait"
_NEGATED_BEFORE = re.compile(
    r"\b(?:never|not|no|dont|don't|don\u2019t|wont|won't|won\u2019t|doesnt|doesn't"
    r"|nunca|jam[aá]s)\s+"
    r"(?!(?:forget|hesitate|wait|delay|fail|miss)\b)(?:\w+\s+){0,3}"
    r"(?:\w+,?\s+(?:\w+,?\s+)?(?:or|and|nor)\s+)?\Z"
)
