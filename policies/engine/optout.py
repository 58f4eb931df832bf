"""Opt-out language: whether a text tells its reader how to stop texts (STOP, UNSUBSCRIBE, their
Spanish and French forms), found quickly on lower-case text. Part of the checks (checks.py)."""

import re

from .normalize import fold

KINDS_NEEDING_OPT_OUT = frozenset({"marketing", "informational"})


_OPT_WORD = (
    r"(?:stop|stopall|stop\s+all|unsubscribe|unsub|cancel|end|quit|revoke|optout"
    r"|opt[\s\-]?out|remove|arret)"
)


_OPT_WORD_ES = r"(?:stop|alto|baja|parar|cancelar)"


_OPT_OUT_SOURCE = (
    r"\b(?:reply|replying|text|texting|txt|send|respond|msg|message|sms)\b[^.\n]{0,20}?[\"'“(]?\b"
    + _OPT_WORD
    + r"\b"
    r"|\b" + _OPT_WORD + r"\b[\"'”)]?\s*(?:2|to|=|for|:)\s*"
    r"(?:opt[\s\-]?out|unsubscribe|unsub|end|stop|cancel|quit|remove|optout|leave)"
    r"|\bopt[\s\-]?out\b[^.\n]{0,20}\b(?:reply|text|txt|send)\b"
    r"|\b(?:reply|text|txt)\s*[\"'“(]?stop\b"
    r"|\bstop\s*2\s*(?:end|quit|cancel|optout|opt\s*out|unsubscribe|unsub)\b"
    r"|\bopt[\s\-]?out\s*[:\-]\s*(?:reply\s+|text\s+|txt\s+)?[\"'“]?stop\b"
    # Spanish, accents already folded: "Responde STOP para cancelar", "Envía BAJA",
    # "ALTO para salir"
    r"|\b(?:responde|responda|contesta|conteste|envia|envie|manda|mande|escribe|escriba"
    r"|textea)\b[^.\n]{0,20}?[\"'“(]?\b" + _OPT_WORD_ES + r"\b"
    r"|\b" + _OPT_WORD_ES + r"\b[\"'”)]?\s*(?:para|=|:)\s*"
    r"(?:cancelar|salir|darte\s+de\s+baja|darse\s+de\s+baja|no\s+recibir|dejar\s+de\s+recibir)"
)


_OPT_KEY_SOURCE = r"stop|unsub|cancel|end|quit|revoke|opt|remove|arret|alto|baja|parar"


OPT_OUT = re.compile(_OPT_OUT_SOURCE, re.IGNORECASE)


_OPT_KEY = re.compile(_OPT_KEY_SOURCE, re.IGNORECASE)


# the same patterns without IGNORECASE, for ASCII text in lower case: there the two match
# alike (the patterns spell no upper-case letter, and no ASCII letter folds to another
# one), and CPython's re is 2-3x slower with IGNORECASE
_OPT_OUT_LOWER = re.compile(_OPT_OUT_SOURCE)


_OPT_KEY_LOWER = re.compile(_OPT_KEY_SOURCE)


# The common wordings, checked as plain substrings before any regular expression.
_OPT_QUICK = (
    "reply stop",
    "text stop",
    "txt stop",
    "stop to opt",
    "stop to unsub",
    "stop to end",
    "stop to cancel",
    "stop to quit",
    "stop to stop",
    "stop2end",
    "stop 2 end",
    'reply "stop',
    'text "stop',
    "reply end",
    "reply unsubscribe",
    "stop=stop",
    "stop to opt-out",
    "responde stop",
    "stop para cancelar",
    "stop para salir",
)


def has_opt_out(text: str, low: str | None = None) -> bool:
    """Says how to stop: "Reply STOP to opt out", "Txt STOP to end", "STOP2END"...
    ``low``: ``text.lower()`` if the caller has it.

    The full pattern runs only in a window around each opt-out keyword."""
    if not text.isascii():
        text = fold(text)
        low = None
    lower = text.lower() if low is None else low
    if any(q in lower for q in _OPT_QUICK):
        return True
    if text.isascii():
        for m in _OPT_KEY_LOWER.finditer(lower):
            s = max(0, m.start() - 40)
            if _OPT_OUT_LOWER.search(lower, s, m.end() + 40):
                return True
        return False
    for m in _OPT_KEY.finditer(text):
        s = max(0, m.start() - 40)
        if OPT_OUT.search(text, s, m.end() + 40):
            return True
    return False
