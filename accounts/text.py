"""Joining words for people. Reasons are whole sentences ("The contact opted out."), so they
are joined as sentences: never "example.; next" nor a second full stop ("opted out..")."""

from collections.abc import Iterable

_ENDS = (".", "!", "?", "…")


def sentence(text: str) -> str:
    """``text`` as one sentence: trimmed, a capital first letter, one full stop at the end."""
    text = text.strip().rstrip(";,: ")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith(_ENDS) else f"{text}."


def sentences(parts: Iterable[str]) -> str:
    """``["Links must be on example.com.", "contact opted out"]`` -> "Links must be on
    example.com. Contact opted out." Empty parts are left out."""
    return " ".join(s for s in (sentence(p) for p in parts if p) if s)


def clause(text: str) -> str:
    """A sentence to go inside another ("Not sent: …", "(…)"): without its full stop."""
    text = text.strip()
    while text.endswith("."):
        text = text[:-1].rstrip()
    return text
