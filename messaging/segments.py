"""GSM-7 / UCS-2 detection and SMS segment counting. Pure; no Django.

A body is GSM-7 when every character is in the GSM 03.38 basic or extension table
(extension characters take two septets: ESC + code); otherwise the whole body is UCS-2,
counted in UTF-16 code units (an emoji outside the BMP counts two). One segment holds
160 septets / 70 units; a concatenated message carries a header, leaving 153 / 67 per
segment. Escape pairs and surrogate pairs are never split across segments, so a
segment can end up one short of its size.
"""

from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "\f^{}\\[~]|€"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7 = "GSM-7"
UCS2 = "UCS-2"

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class SegmentInfo:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one segment at this length (160/153 or 70/67)
    remaining: int  # units left in the last segment

    def as_dict(self) -> dict:
        return {
            "encoding": self.encoding,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
            "remaining": self.remaining,
        }


_GSM7 = _BASIC | _EXTENSION


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def _units(text: str, encoding: str) -> int:
    """``sum(_unit_sizes(text, encoding))``, counted by C loops over the string (every send
    counts its body: the per-character list was a hundred Python steps a text)."""
    if encoding == GSM7:
        return len(text) + sum(map(text.count, GSM7_EXTENSION))
    # UTF-16 code units: two for a character outside the BMP, one for a lone surrogate
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _unit_sizes(text: str, encoding: str) -> list[int]:
    """Width of each character in units; a character is never split across segments."""
    if encoding == GSM7:
        return [2 if ch in _EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segment_info(text: str) -> SegmentInfo:
    """Encoding and segment count of ``text`` as carriers bill it."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    units = _units(text, encoding)
    if units <= SINGLE[encoding]:
        return SegmentInfo(encoding, units, 1, SINGLE[encoding], SINGLE[encoding] - units)
    sizes = _unit_sizes(text, encoding)
    size = MULTI[encoding]
    segments, used = 1, 0
    for width in sizes:
        if used + width > size:
            segments += 1
            used = 0
        used += width
    return SegmentInfo(encoding, units, segments, size, size - used)


def segment_count(text: str) -> int:
    return segment_info(text).segments
