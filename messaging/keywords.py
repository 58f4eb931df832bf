"""Inbound keyword classification. Pure; no Django.

The whole message is the keyword (RapidPro's "only word" match), after normalising case,
spacing and punctuation, so "Stop.", " stop ", "STOP!!" and "opt-out" all match, while
"don't stop the reminders" does not. Plain-language opt-outs ("please stop texting me")
are matched by a small set of patterns: a reasonable person reads them as revocation
(47 CFR 64.1200(a)(10)), and a false positive only costs one opt-out the person can undo
with START.
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
NONE = "none"

STOP_WORDS = frozenset(
    {"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "REMOVE"}
)
STOP_ALL_WORDS = frozenset({"STOPALL"})
START_WORDS = frozenset({"START", "UNSTOP"})
YES_WORDS = frozenset({"YES"})
HELP_WORDS = frozenset({"HELP", "INFO"})

# Plain-language revocations; matched on the normalised text (upper case, single spaces).
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
        r"^NO MAS\b",
    )
]

# "Don't stop texting me" asks for the opposite.
_NEGATED = re.compile(r"\b(DONT|DO NOT|NEVER) (STOP|QUIT|CEASE)\b")


@dataclass(frozen=True)
class KeywordMatch:
    action: str  # one of the constants above
    keyword: str  # the normalised word that matched ("" for none, "PLAIN" for plain language)


def normalise(text: str) -> str:
    """Upper case, accents kept, punctuation dropped, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).upper()
    text = text.replace("'", "").replace("\u2019", "")  # DON'T -> DONT
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"[\s_]+", " ", text)
    return text.strip()


def _compact(words: str) -> str:
    return words.replace(" ", "")


def _keyword_set(words: Iterable[str] | str | None) -> frozenset[str]:
    if not words:
        return frozenset()
    if isinstance(words, str):
        words = words.split(",")
    return frozenset(_compact(normalise(w)) for w in words if normalise(w))


def classify(
    text: str,
    *,
    optout_keywords: Iterable[str] | str | None = None,
    optin_keywords: Iterable[str] | str | None = None,
    help_keywords: Iterable[str] | str | None = None,
) -> KeywordMatch:
    """What an inbound message asks for. Campaign keywords add to the defaults."""
    words = normalise(text)
    if not words:
        return KeywordMatch(NONE, "")
    compact = _compact(words)  # "OPT OUT", "OPT-OUT" and "STOP ALL" become one word
    if compact in STOP_ALL_WORDS:
        return KeywordMatch(OPT_OUT_ALL, compact)
    if compact in STOP_WORDS or compact in _keyword_set(optout_keywords):
        return KeywordMatch(OPT_OUT, compact)
    if compact in YES_WORDS:
        return KeywordMatch(CONFIRM, compact)
    if compact in START_WORDS or compact in _keyword_set(optin_keywords):
        return KeywordMatch(OPT_IN, compact)
    if compact in HELP_WORDS or compact in _keyword_set(help_keywords):
        return KeywordMatch(HELP, compact)
    if not _NEGATED.search(words) and any(p.search(words) for p in _PLAIN_OPT_OUT):
        return KeywordMatch(OPT_OUT, "PLAIN")
    return KeywordMatch(NONE, "")
