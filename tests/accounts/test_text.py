"""Joining reasons for people (accounts.text), table-driven."""

import pytest

from accounts.text import clause, sentence, sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The contact opted out.", "The contact opted out."),
        ("the contact opted out", "The contact opted out."),
        ("  Links must be on brightsmile.example.  ", "Links must be on brightsmile.example."),
        ("Is this allowed?", "Is this allowed?"),
        ("Wait…", "Wait…"),
        ("trailing separator; ", "Trailing separator."),
        ("Consent :", "Consent."),
        ("", ""),
        ("   ", ""),
    ],
)
def test_sentence(text, expected):
    assert sentence(text) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], ""),
        (["", "  "], ""),
        (["Link to brightsmile.example.", "opted out"], "Link to brightsmile.example. Opted out."),
        (["One.", "Two."], "One. Two."),
    ],
)
def test_sentences(parts, expected):
    assert sentences(parts) == expected
    assert ".." not in expected and ".;" not in expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The contact opted out.", "The contact opted out"),
        ("A. B.", "A. B"),
        ("No stop", "No stop"),
        ("Dots... ", "Dots"),
    ],
)
def test_clause(text, expected):
    assert clause(text) == expected
