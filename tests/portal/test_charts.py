"""The server-drawn SVG charts: scale, escaping, accessibility text, empty data."""

import re
import xml.etree.ElementTree as ET

import pytest

from accounts.portal import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 1), (-3, 1), (1, 1), (3, 5), (7, 10), (11, 20), (24, 25), (26, 50), (0.3, 0.5), (50, 50)],
)
def test_nice_max(value, expected):
    assert charts.nice_max(value) == pytest.approx(expected)


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, parsed to check it is well-formed


def test_bar_heights_are_proportional_to_values():
    svg = charts.bar_chart(
        title="Sends", labels=["a", "b", "c"], series=[charts.Series("Sent", [10, 5, 0])]
    )
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = [float(r.get("height")) for r in bars]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == 0
    # the tallest bar reaches the top of the axis (nice_max(10) == 10)
    plot_h = 200 - charts.PAD["t"] - charts.PAD["b"]
    assert heights[0] == pytest.approx(plot_h, abs=0.1)


def test_chart_is_accessible_and_states_its_figures():
    svg = charts.bar_chart(
        title="Opt-outs", labels=["Mon", "Tue"], series=[charts.Series("Opt-outs", [3, 1])]
    )
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Opt-outs"
    assert root.find(f"{SVG}title").text == "Opt-outs"
    assert root.find(f"{SVG}desc").text == "Opt-outs — Mon: 3, Tue: 1"


def test_text_is_escaped():
    evil = '<script>alert("x")</script>'
    svg = charts.line_chart(title=evil, labels=[evil], series=[charts.Series(evil, [1])])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    _parse(svg)


def test_line_chart_points_and_unit():
    svg = charts.line_chart(
        title="Rate",
        labels=["d1", "d2", "d3"],
        series=[charts.Series("Rate", [0.0, 2.5, 5.0])],
        unit="%",
    )
    root = _parse(svg)
    line = root.find(f"{SVG}polyline")
    ys = [float(p.split(",")[1]) for p in line.get("points").split()]
    assert ys[0] > ys[1] > ys[2]  # higher value, higher on screen (smaller y)
    assert ys[0] - ys[1] == pytest.approx(ys[1] - ys[2])
    assert "5%" in root.find(f"{SVG}desc").text


def test_empty_data_draws_axes_without_dividing_by_zero():
    svg = charts.bar_chart(title="Nothing", labels=[], series=[charts.Series("Sent", [])])
    root = _parse(svg)
    assert "no data" in root.find(f"{SVG}desc").text
    all_zero = charts.line_chart(title="z", labels=["a"], series=[charts.Series("s", [0])])
    assert re.search(r'cy="[0-9.]+"', all_zero)


@pytest.mark.parametrize(
    ("value", "limit", "width", "color"),
    [
        (0, 50, 0.0, charts.PALETTE[1]),
        (25, 50, 110.0, charts.PALETTE[1]),
        (40, 50, 176.0, charts.PALETTE[3]),
        (50, 50, 220.0, charts.PALETTE[2]),
        (80, 50, 220.0, charts.PALETTE[2]),
        (5, 0, 0.0, charts.PALETTE[1]),
    ],
)
def test_meter(value, limit, width, color):
    root = _parse(charts.meter(title="cap", value=value, limit=limit))
    fill = root.findall(f"{SVG}rect")[1]
    assert float(fill.get("width")) == pytest.approx(width)
    assert fill.get("fill") == color
