"""Inbound keyword classification. Pure; no Django.

The whole message is the keyword (RapidPro's "only word" match), after normalising case,
spacing, punctuation and accents, so "Stop.", " stop ", "STOP!!", "opt-out", "No más" and
"NO MAS" all match, while "don't stop the reminders" does not. Plain-language opt-outs
("please stop texting me") are matched by a small set of patterns: a reasonable person reads
them as revocation (47 CFR 64.1200(a)(10)), and a false positive only costs one opt-out the
person can undo with START.

The words are data: a ``Table`` built from rows (word, action, language). ``DEFAULTS`` is
the table the product ships (the FCC's per-se opt-out words, the carriers' and CTIA's
keywords, and their Spanish counterparts); messaging's ``KeywordRule`` model holds the live
table that staff extend in the admin, seeded from the same list by a data migration, and
``services.inbound`` builds a ``Table`` from it. Campaign keywords (opt-out, re-subscribe,
help and join) add to the table for the campaign's numbers.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

OPT_OUT = "opt_out"
OPT_OUT_ALL = "opt_out_all"  # STOPALL / STOP ALL: every campaign of the business
OPT_IN = "opt_in"  # START / UNSTOP
CONFIRM = "confirm"  # YES: confirms a pending double opt-in, else re-subscribes
HELP = "help"
JOIN = "join"  # a campaign's join keyword: consent by text (keyword opt-in)
NONE = "none"

ACTIONS = (OPT_OUT, OPT_OUT_ALL, OPT_IN, CONFIRM, HELP)
LANGUAGES = ("en", "es")

# (word, action, language). Opt-out: 47 CFR 64.1200(a)(10)'s per-se words and the carriers'
# (compliance reference §3.1); Spanish: what a reasonable person writes to stop texts in
# Spanish (the FCC's 2024 order names "No mas"). Accents are folded before matching, so
# "NO MÁS" is "NOMAS" and "CANCELACIÓN" would be "CANCELACION".
DEFAULTS: tuple[tuple[str, str, str], ...] = (
    *((w, OPT_OUT, "en") for w in (
        "STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "REMOVE",
    )),
    ("STOPALL", OPT_OUT_ALL, "en"),
    ("START", OPT_IN, "en"),
    ("UNSTOP", OPT_IN, "en"),
    ("YES", CONFIRM, "en"),
    ("HELP", HELP, "en"),
    ("INFO", HELP, "en"),
    *((w, OPT_OUT, "es") for w in (
        "PARAR", "CANCELAR", "BAJA", "FIN", "DETENER", "ALTO", "NOMAS",
    )),
    ("AYUDA", HELP, "es"),
    ("SI", CONFIRM, "es"),
)  # fmt: skip

# Plain-language revocations; matched on the normalised text (upper case, single spaces,
# accents folded).
_PLAIN_OPT_OUT = [
    re.compile(p)
    for p in (
        r"\b(STOP|QUIT|CEASE)\b.*\b(TEXT|TEXTING|TEXTS|MESSAGE|MESSAGING|MESSAGES|SMS|CONTACTING|SENDING)\b",
        r"\b(DONT|DO NOT|NO MORE|NEVER)\b.*\b(TEXT|MESSAGE|CONTACT|SMS)\b",
        r"\bREMOVE ME\b",
        r"\bTAKE ME OFF\b",
        r"\bUNSUBSCRIBE ME\b",
        r"\bOPT ME OUT\b",
        r"\bLEAVE ME ALONE\b",
        r"^(PLEASE )?STOP (IT|NOW|PLEASE)$",
    )
]
# Spanish: "no más mensajes", "no me manden mensajes", "dejen de enviarme mensajes"
_PLAIN_OPT_OUT_ES = [
    re.compile(p)
    for p in (
        r"^NO MAS\b",
        r"\b(NO ME|DEJEN DE|DEJE DE|DEJA DE)\b.*\b(MENSAJES|TEXTOS|ENVIAR|MANDAR|ESCRIBIR)",
        r"\b(PARAR|PAREN|DETENER|CANCELAR)\b.*\bMENSAJES\b",
    )
]

# "Don't stop texting me" asks for the opposite.
_NEGATED = re.compile(r"\b(DONT|DO NOT|NEVER) (STOP|QUIT|CEASE)\b")


@dataclass(frozen=True)
class KeywordMatch:
    action: str  # one of the constants above
    keyword: str  # the normalised word that matched ("" for none, "PLAIN" for plain language)
    language: str = ""  # the keyword's language ("" for a campaign's own words)


def normalise(text: str) -> str:
    """Upper case, accents kept, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).upper()
    text = text.replace("'", "").replace("\u2019", "")  # DON'T -> DONT
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip()


def fold(text: str) -> str:
    """``text`` without accents ("MÁS" -> "MAS", "AYÚDA" -> "AYUDA")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def key(word: str) -> str:
    """The form a word is looked up by: normalised, accents folded, no spaces."""
    return fold(normalise(word)).replace(" ", "")


class Table:
    """Words to (action, language), built once from rows; lookups are one dict access."""

    __slots__ = ("words",)

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        words: dict[str, tuple[str, str]] = {}
        for word, action, language in rows:
            k = key(word)
            if k and action in ACTIONS:
                words.setdefault(k, (action, language))
        self.words = words

    def get(self, compact: str) -> tuple[str, str] | None:
        return self.words.get(compact)


DEFAULT_TABLE = Table(DEFAULTS)


def keyword_set(words: Iterable[str] | str | None) -> frozenset[str]:
    """A campaign's comma-separated keywords as lookup keys."""
    if not words:
        return frozenset()
    if isinstance(words, str):
        words = words.split(",")
    return frozenset(k for k in (key(w) for w in words) if k)


# kept for callers of the old name
_keyword_set = keyword_set


def classify(
    text: str,
    *,
    table: Table | None = None,
    optout_keywords: Iterable[str] | str | None = None,
    optin_keywords: Iterable[str] | str | None = None,
    help_keywords: Iterable[str] | str | None = None,
    join_keywords: Iterable[str] | str | None = None,
) -> KeywordMatch:
    """What an inbound message asks for. Campaign keywords add to the table; an opt-out
    always wins (a word in both an opt-out list and another list stops), and the table's
    words win over a campaign's join word (a campaign cannot make HELP a join word)."""
    table = table or DEFAULT_TABLE
    words = fold(normalise(text))
    if not words:
        return KeywordMatch(NONE, "")
    compact = words.replace(" ", "")  # "OPT OUT", "OPT-OUT" and "STOP ALL" become one word
    found = table.get(compact)
    if found is not None and found[0] in (OPT_OUT, OPT_OUT_ALL):
        return KeywordMatch(found[0], compact, found[1])
    if compact in keyword_set(optout_keywords):
        return KeywordMatch(OPT_OUT, compact)
    if found is not None:  # the table's words keep their meaning on every campaign
        return KeywordMatch(found[0], compact, found[1])
    if compact in keyword_set(join_keywords):
        return KeywordMatch(JOIN, compact)
    if compact in keyword_set(optin_keywords):
        return KeywordMatch(OPT_IN, compact)
    if compact in keyword_set(help_keywords):
        return KeywordMatch(HELP, compact)
    if not _NEGATED.search(words):
        if any(p.search(words) for p in _PLAIN_OPT_OUT_ES):
            return KeywordMatch(OPT_OUT, "PLAIN", "es")
        if any(p.search(words) for p in _PLAIN_OPT_OUT):
            return KeywordMatch(OPT_OUT, "PLAIN", "en")
    return KeywordMatch(NONE, "")
