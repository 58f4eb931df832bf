"""Charts drawn on the server as inline SVG: no chart library, no script, no CDN.

Pure functions (no ORM): give them labels and numbers, get SVG markup back. Every text
that goes into the markup is escaped here, so callers may mark the result safe. Each chart
carries ``role="img"``, a ``<title>`` and a ``<desc>`` that states the figures, so a screen
reader hears the data a sighted user sees.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11, graphical objects).
PALETTE = ("#1f5fbf", "#1e6b3a", "#a4262c", "#8a5a00", "#5b3a99")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    color: str = ""


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above ``value`` (1 for 0 or less)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _fmt(value: float, unit: str = "") -> str:
    text = f"{value:.1f}" if value and value != int(value) else f"{int(value)}"
    return f"{text}{unit}"


def _desc(labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    parts = []
    for s in series:
        points = ", ".join(
            f"{label}: {_fmt(v, unit)}" for label, v in zip(labels, s.values, strict=False)
        )
        parts.append(f"{s.name} — {points}" if points else f"{s.name} — no data")
    return "; ".join(parts)


def _frame(title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    t = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="img" aria-label="{t}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{t}</title><desc>{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _axes(
    *, labels: Sequence[str], top: float, unit: str, width: int, height: int, pad: dict
) -> tuple[list[str], float, float]:
    """Grid lines, y ticks and sparse x labels; returns (markup, plot width, plot height)."""
    pw = width - pad["l"] - pad["r"]
    ph = height - pad["t"] - pad["b"]
    out = []
    for i in range(5):
        y = pad["t"] + ph - ph * i / 4
        out.append(
            f'<line x1="{pad["l"]}" y1="{y:.1f}" x2="{width - pad["r"]}" y2="{y:.1f}" '
            f'stroke="#d5dae1" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{pad["l"] - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#55606e">{escape(_fmt(top * i / 4, unit))}</text>'
        )
    n = len(labels)
    if n:
        every = max(1, -(-n // 7))  # at most about seven x labels
        for i, label in enumerate(labels):
            if (n - 1 - i) % every:  # anchored on the latest day, which is always shown
                continue
            x = pad["l"] + (pw * (i + 0.5) / n)
            out.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="11" '
                f'fill="#55606e">{escape(str(label))}</text>'
            )
    return out, pw, ph


def _legend(series: Sequence[Series], width: int, pad: dict) -> list[str]:
    out = []
    x = pad["l"]
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{escape(color)}"/>')
        out.append(
            f'<text x="{x + 14}" y="13" font-size="11" fill="#1d2430">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
        if x > width - 40:
            break
    return out


PAD = {"l": 44, "r": 10, "t": 22, "b": 22}


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 480,
    height: int = 200,
) -> str:
    """Grouped bars: one group per label, one bar per series."""
    top = nice_max(max((v for s in series for v in s.values), default=0))
    axes, pw, ph = _axes(labels=labels, top=top, unit=unit, width=width, height=height, pad=PAD)
    body = list(axes)
    n = max(len(labels), 1)
    group = pw / n
    k = max(len(series), 1)
    bar = max(group * 0.8 / k, 1.0)
    for si, s in enumerate(series):
        color = escape(s.color or PALETTE[si % len(PALETTE)])
        for i, v in enumerate(s.values[: len(labels)]):
            h = ph * max(v, 0) / top
            x = PAD["l"] + group * i + group * 0.1 + bar * si
            y = PAD["t"] + ph - h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}"><title>{escape(f"{labels[i]} {s.name}: {_fmt(v, unit)}")}'
                "</title></rect>"
            )
    body += _legend(series, width, PAD)
    return _frame(title, _desc(labels, series, unit), width, height, body)


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    width: int = 480,
    height: int = 200,
    top: float | None = None,
) -> str:
    """One polyline per series, with a dot on every point."""
    top = top or nice_max(max((v for s in series for v in s.values), default=0))
    axes, pw, ph = _axes(labels=labels, top=top, unit=unit, width=width, height=height, pad=PAD)
    body = list(axes)
    n = max(len(labels), 1)
    for si, s in enumerate(series):
        color = escape(s.color or PALETTE[si % len(PALETTE)])
        points = []
        for i, v in enumerate(s.values[: len(labels)]):
            x = PAD["l"] + pw * (i + 0.5) / n
            y = PAD["t"] + ph - ph * min(max(v, 0), top) / top
            points.append((x, y, v, i))
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for x, y, v, i in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                f"<title>{escape(f'{labels[i]} {s.name}: {_fmt(v, unit)}')}</title></circle>"
            )
    body += _legend(series, width, PAD)
    return _frame(title, _desc(labels, series, unit), width, height, body)


def meter(*, title: str, value: float, limit: float, width: int = 220, height: int = 18) -> str:
    """A horizontal gauge of value against limit (e.g. sends this minute against the cap)."""
    share = 0.0 if limit <= 0 else min(max(value / limit, 0.0), 1.0)
    color = PALETTE[2] if share >= 0.9 else PALETTE[3] if share >= 0.7 else PALETTE[1]
    desc = f"{_fmt(value)} of {_fmt(limit)}"
    body = [
        f'<rect x="0" y="0" width="{width}" height="{height}" rx="4" fill="#e9ecf0"/>',
        f'<rect x="0" y="0" width="{width * share:.1f}" height="{height}" rx="4" fill="{color}"/>',
    ]
    return _frame(title, desc, width, height, body)
