"""Inline help for compliance terms: every slug a template uses exists, and it renders."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from accounts.portal.help_terms import TERMS

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def test_every_help_term_used_in_a_template_exists():
    used = {
        (str(path.relative_to(TEMPLATES)), slug)
        for path in TEMPLATES.rglob("*.html")
        for slug in re.findall(r'help_term\s+"([a-z_]+)"', path.read_text())
    }
    assert used, "no template uses help_term"
    unknown = sorted((name, slug) for name, slug in used if slug not in TERMS)
    assert not unknown, f"help_term slugs with no text in accounts/portal/help_terms.py: {unknown}"


@pytest.mark.parametrize("slug", ["tcr", "opt_out_language", "double_opt_in", "quiet_hours",
                                  "rate_cap"])  # fmt: skip
def test_the_required_terms_are_explained(slug):
    assert len(TERMS[slug].text) > 60


def test_help_term_renders_a_details_with_the_explanation():
    html = Template('{% load portal_help %}{% help_term "quiet_hours" "<why?>" %}').render(
        Context()
    )
    assert html.startswith('<details class="term" data-term="quiet_hours">')
    assert "&lt;why?&gt;" in html and "<why?>" not in html  # the label is escaped
    assert "time zone" in html


def test_unknown_term_renders_only_its_label():
    html = Template('{% load portal_help %}{% help_term "nope" "Plain" %}').render(Context())
    assert html.strip() == "Plain"


def test_a_question_label_gets_no_second_question_mark():
    html = Template('{% load portal_help %}{% help_term "tcr" "What is that?" %}').render(Context())
    summary = html.split("<summary>")[1].split("</summary>")[0]
    assert summary == "What is that?"  # not "What is that? ?" nor "(what is this?)"


def test_a_term_label_gets_the_mark_and_a_hidden_hint():
    html = Template('{% load portal_help %}{% help_term "opt_out_rate" "Opt-out rate" %}').render(
        Context()
    )
    summary = html.split("<summary>")[1].split("</summary>")[0]
    assert summary.startswith('Opt-out rate<span class="term-q" aria-hidden="true">?</span>')
    assert '<span class="visually-hidden"> (what is this?)</span>' in summary


def test_no_template_leaves_a_full_stop_after_a_help_term():
    dangling = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"{% help_term [^%]*%}\s*[.,;:]", path.read_text())
    ]
    assert dangling == []
