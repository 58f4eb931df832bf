"""Merge fields: a tiny template language with a strict grammar, pure (no ORM, no Django
template engine: a business's text is data, never code).

    text      := (literal | tag)*
    tag       := "{{" ws name ws ("|" ws "default" ws ":" ws quoted ws)? "}}"
    name      := "first_name" | "last_name" | "full_name" | "business_name"
               | "field." key | "var." (key | [0-9]{1,2})
    key       := [a-z][a-z0-9_]{0,39}

``var.1``, ``var.2`` ... are Twilio's numbered placeholders (``ContentVariables={"1": ...}``
through the Twilio-compatible API).
    quoted    := '"' [^"{}\n]{0,100} '"'

Anything else between ``{{`` and ``}}`` is a syntax error with its position, and so is a
``{{`` that is never closed or a stray ``}}``. A merged value is plain text: line breaks
and runs of spaces collapse to one space and it is cut at ``VALUE_MAX`` characters; what
it says is judged where every text is judged — the rendered message goes through the send
gates, so a value cannot bring a link or a prohibited word past the policy engine.
"""

import re
from dataclasses import dataclass

from consent.inputs import FIELD_KEY_RE

BUILTIN = ("first_name", "last_name", "full_name", "business_name")
PREFIXES = ("field.", "var.")
VAR_KEY_RE = re.compile(r"[a-z][a-z0-9_]{0,39}|[0-9]{1,2}")  # per-send variable names
VALUE_MAX = 200
DEFAULT_MAX = 100
_TAG = re.compile(
    r"\{\{\s*(?P<name>[A-Za-z0-9_.]+)\s*"
    r"(?:\|\s*(?P<filter>[A-Za-z_]+)\s*:\s*\"(?P<default>[^\"{}\n]*)\"\s*)?\}\}"
)
_SPACE = re.compile(r"\s+")


class MergeSyntaxError(ValueError):
    """A template that does not follow the grammar; ``position`` is the character offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Tag:
    name: str
    default: str | None = None


Part = str | Tag


def _check_name(name: str, position: int) -> None:
    if name in BUILTIN:
        return
    for prefix in PREFIXES:
        if name.startswith(prefix) and FIELD_KEY_RE.fullmatch(name[len(prefix) :]):
            return
    if name.startswith("var.") and VAR_KEY_RE.fullmatch(name[4:]):
        return
    raise MergeSyntaxError(
        f"Unknown merge field {name[:50]!r}: use first_name, last_name, full_name, "
        "business_name, field.<custom field> or var.<variable>.",
        position,
    )


def parse(text: str) -> tuple[Part, ...]:
    """The template as literal strings and tags, or MergeSyntaxError."""
    parts: list[Part] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        literal = text[pos:] if start < 0 else text[pos:start]
        stray = literal.find("}}")
        if stray >= 0:
            raise MergeSyntaxError("A closing }} without an opening {{.", pos + stray)
        if literal:
            parts.append(literal)
        if start < 0:
            return tuple(parts)
        match = _TAG.match(text, start)
        if match is None:
            end = text.find("}}", start)
            if end < 0:
                raise MergeSyntaxError("A {{ that is never closed with }}.", start)
            raise MergeSyntaxError(
                'Write a merge field as {{ first_name }} or {{ first_name | default:"there" }}.',
                start,
            )
        name = match["name"]
        _check_name(name, start)
        default = match["default"]
        if match["filter"] is not None:
            if match["filter"] != "default":
                raise MergeSyntaxError(
                    f"Unknown filter {match['filter'][:30]!r}: only default is allowed.", start
                )
            if len(default) > DEFAULT_MAX:
                raise MergeSyntaxError(f"A default is at most {DEFAULT_MAX} characters.", start)
        parts.append(Tag(name, default))
        pos = match.end()


def names(parts: tuple[Part, ...]) -> list[str]:
    """The merge fields a parsed template uses, in order, once each."""
    seen: dict[str, None] = {}
    for part in parts:
        if isinstance(part, Tag):
            seen.setdefault(part.name, None)
    return list(seen)


def clean_value(value: object) -> str:
    """A merge value as the one line of plain text that is put into the message."""
    if value is None or value is False:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACE.sub(" ", str(value)).strip()[:VALUE_MAX]


def render(parts: tuple[Part, ...], values: dict[str, object]) -> tuple[str, list[str]]:
    """The text for one recipient and the fields that were empty without a default."""
    out: list[str] = []
    missing: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = clean_value(values.get(part.name))
        if not value:
            if part.default is not None:
                value = part.default
            elif part.name not in missing:
                missing.append(part.name)
        out.append(value)
    return "".join(out), missing


def skeleton(parts: tuple[Part, ...]) -> str:
    """The template as a recipient with every field empty would get it: the text the policy
    engine judges once for the template itself."""
    return render(parts, {})[0]


def has_fields(text: str) -> bool:
    return "{{" in text or "}}" in text
