"""No template carries what the Content-Security-Policy blocks (style-src and script-src are
'self' only): no style attribute, no inline <style> or <script>. The public opt-in form's
pages are the one exception: their own policy allows a per-response nonce."""

import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"
ALL = sorted(TEMPLATES.rglob("*.html"))


def _offenders(pattern: str) -> list[str]:
    found = []
    for path in ALL:
        for match in re.finditer(pattern, path.read_text(), flags=re.IGNORECASE):
            found.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)[:60]}")
    return found


def test_there_are_templates():
    assert len(ALL) > 50


def test_no_style_attribute():
    assert _offenders(r"\sstyle\s*=") == []


def test_no_inline_script_or_style_without_a_nonce():
    inline_script = (
        r"<script(?![^>]*\ssrc=)(?![^>]*\snonce=)(?![^>]*type=\"application/json\")[^>]*>"
    )
    assert _offenders(inline_script) == []
    assert _offenders(r"<style(?![^>]*\snonce=)[^>]*>") == []


def test_no_event_handler_attributes():
    assert _offenders(r"\son(click|load|change|submit|input)\s*=") == []


def test_the_favicon_is_ours_and_linked():
    assert finders.find("favicon.svg")
    html = render_to_string("base.html")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
