"""The merge-field grammar, table-driven (pure: no database)."""

import pytest

from messaging.templating import merge
from messaging.templating.merge import MergeSyntaxError, Tag

PARSES = [
    ("Hello", ("Hello",)),
    ("", ()),
    ("Hi {{ first_name }}!", ("Hi ", Tag("first_name"), "!")),
    ("{{first_name}}", (Tag("first_name"),)),
    ('Hi {{ first_name | default:"there" }}', ("Hi ", Tag("first_name", "there"))),
    ('{{first_name|default:""}}', (Tag("first_name", ""),)),
    ("{{ field.last_visit }} {{ var.code }}", (Tag("field.last_visit"), " ", Tag("var.code"))),
    ("{{ business_name }}", (Tag("business_name"),)),
    ("{{ var.1 }}/{{var.12}}", (Tag("var.1"), "/", Tag("var.12"))),  # Twilio's {{1}}
    ("a { b } c", ("a { b } c",)),
]


@pytest.mark.parametrize(("text", "parts"), PARSES)
def test_parse(text, parts):
    assert merge.parse(text) == parts


ERRORS = [
    ("Hi {{ first_name", "never closed", 3),
    ("Hi }} there", "closing }}", 3),
    ("{{ nickname }}", "Unknown merge field", 0),
    ("{{ field.Bad-Key }}", "Write a merge field", 0),
    ("{{ field. }}", "Unknown merge field", 0),
    ("{{ var.123 }}", "Unknown merge field", 0),
    ("{{ field.1 }}", "Unknown merge field", 0),
    ('{{ first_name | upper:"x" }}', "Unknown filter", 0),
    ('{{ first_name | default:"a"b" }}', "Write a merge field", 0),
    ('{{ first_name | default:"{{x}}" }}', "Write a merge field", 0),
    ("{{ first_name | default }}", "Write a merge field", 0),
    ("{{ __class__ }}", "Unknown merge field", 0),
    ("{{ first_name.__class__ }}", "Unknown merge field", 0),
    ("ok {{ var.x }} {{", "never closed", 15),
    ('{{ first_name | default:"' + "x" * 101 + '" }}', "at most 100", 0),
]


@pytest.mark.parametrize(("text", "words", "position"), ERRORS)
def test_syntax_errors_say_what_and_where(text, words, position):
    with pytest.raises(MergeSyntaxError) as info:
        merge.parse(text)
    assert words in info.value.message
    assert info.value.position == position


RENDERS = [
    ("Hi {{ first_name }}", {"first_name": "Ana"}, "Hi Ana", []),
    ("Hi {{ first_name }}", {}, "Hi ", ["first_name"]),
    ('Hi {{ first_name | default:"there" }}', {"first_name": ""}, "Hi there", []),
    ('Hi {{ first_name | default:"there" }}', {"first_name": "  "}, "Hi there", []),
    ("{{ field.visits }} visits", {"field.visits": 3.0}, "3 visits", []),
    ("{{ field.balance }}", {"field.balance": 12.5}, "12.5", []),
    ("{{ var.x }}", {"var.x": "line\nbreak\t tab"}, "line break tab", []),
    ("{{ var.x }}", {"var.x": "y" * 500}, "y" * merge.VALUE_MAX, []),
    ("{{ var.x }}", {"var.x": None}, "", ["var.x"]),
    ("{{ var.x }}", {"var.x": False}, "", ["var.x"]),
    ("{{ var.x }}{{ var.x }}", {}, "", ["var.x"]),
    # a value that looks like a merge field is text: it is never parsed again
    ("{{ var.x }}", {"var.x": "{{ business_name }}"}, "{{ business_name }}", []),
]


@pytest.mark.parametrize(("text", "values", "out", "missing"), RENDERS)
def test_render(text, values, out, missing):
    assert merge.render(merge.parse(text), values) == (out, missing)


def test_names_and_skeleton():
    parts = merge.parse('Hi {{ first_name | default:"there" }}, {{ field.a }} {{ first_name }}')
    assert merge.names(parts) == ["first_name", "field.a"]
    assert merge.skeleton(parts) == "Hi there,  "
    assert merge.has_fields("a {{ b }}") and merge.has_fields("a }}") and not merge.has_fields("a")
