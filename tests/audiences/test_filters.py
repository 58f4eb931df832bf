"""Segment filters and custom field types, table-driven (pure: no database)."""

from datetime import date, datetime

import pytest

from accounts.errors import ValidationFailed
from consent.audiences import filters
from consent.inputs import coerce_custom_value, type_custom_fields

KINDS = {"visits": "number", "last_visit": "date", "stylist": "text"}

COERCE = [
    ("number", "3", 3),
    ("number", " 1,250 ", 1250),
    ("number", "2.5", 2.5),
    ("number", 4.0, 4),
    ("number", 7, 7),
    ("date", "2026-12-05", "2026-12-05"),
    ("date", "12/05/2026", "2026-12-05"),
    ("date", date(2026, 1, 2), "2026-01-02"),
    ("date", datetime(2026, 1, 2, 3, 4), "2026-01-02"),
    ("text", 12, "12"),
    ("text", "Ana", "Ana"),
]


@pytest.mark.parametrize(("kind", "value", "out"), COERCE)
def test_coerce(kind, value, out):
    assert coerce_custom_value(kind, value) == out


@pytest.mark.parametrize(
    ("kind", "value"),
    [("number", "three"), ("number", True), ("number", "nan"), ("number", "inf"),
     ("date", "05.12.2026"), ("date", "2026-13-01"), ("text", {"a": 1})],
)  # fmt: skip
def test_coerce_refuses(kind, value):
    with pytest.raises(ValueError):
        coerce_custom_value(kind, value)


def test_type_custom_fields_names_each_bad_field():
    assert type_custom_fields({"visits": "2", "other": "x", "stylist": ""}, KINDS) == {
        "visits": 2, "other": "x", "stylist": ""
    }  # fmt: skip
    with pytest.raises(ValidationFailed) as info:
        type_custom_fields({"visits": "many", "last_visit": "soon"}, KINDS)
    assert set(info.value.fields) == {"custom_fields.visits", "custom_fields.last_visit"}


def test_clean_normalises():
    out = filters.clean(
        {
            "tags": "vip, spring ,",
            "fields": [
                {"key": "visits", "op": "gte", "value": "3"},
                {"key": "stylist", "op": "set"},
            ],
            "consent": "opted_in",
            "active_within_days": "30",
        },
        kinds=KINDS,
    )
    assert out == {
        "tags": ["spring", "vip"],
        "fields": [
            {"key": "visits", "op": "gte", "value": 3},
            {"key": "stylist", "op": "set", "value": None},
        ],
        "consent": "opted_in",
        "active_within_days": 30,
        "inactive_days": None,
    }
    assert filters.clean({}, kinds={})["tags"] == []


BAD = [
    ([], "filters"),
    ({"colour": "red"}, "filters"),
    ({"tags": [1]}, "filters.tags"),
    ({"fields": "x"}, "filters.fields"),
    ({"fields": ["x"]}, "filters.fields.0"),
    ({"fields": [{"key": "nope"}]}, "filters.fields.0.key"),
    ({"fields": [{"key": "visits", "op": "like"}]}, "filters.fields.0.op"),
    ({"fields": [{"key": "stylist", "op": "gt", "value": "a"}]}, "filters.fields.0.op"),
    ({"fields": [{"key": "visits", "op": "contains", "value": "1"}]}, "filters.fields.0.op"),
    ({"fields": [{"key": "visits", "op": "eq"}]}, "filters.fields.0.value"),
    ({"fields": [{"key": "visits", "op": "eq", "value": "lots"}]}, "filters.fields.0.value"),
    ({"fields": [{"key": "visits", "op": "set"}] * 11}, "filters.fields"),
    ({"consent": "maybe"}, "filters.consent"),
    ({"active_within_days": "soon"}, "filters.active_within_days"),
    ({"inactive_days": 0}, "filters.inactive_days"),
]


@pytest.mark.parametrize(("raw", "field"), BAD)
def test_clean_refuses_naming_the_field(raw, field):
    with pytest.raises(ValidationFailed) as info:
        filters.clean(raw, kinds=KINDS)
    assert field in info.value.fields


def test_describe():
    assert filters.describe({}) == "every contact"
    words = filters.describe(
        filters.clean(
            {
                "tags": ["vip"],
                "fields": [
                    {"key": "visits", "op": "gte", "value": 3},
                    {"key": "stylist", "op": "contains", "value": "An"},
                    {"key": "last_visit", "op": "empty"},
                    {"key": "stylist", "op": "set"},
                ],
                "consent": "none",
                "active_within_days": 5,
                "inactive_days": 9,
            },
            kinds=KINDS,
        )
    )
    assert words == (
        "tagged vip; visits ≥ 3; stylist contains “An”; last_visit is empty; stylist is set; "
        "no consent recorded; texted us in the last 5 days; no text from them for 9 days"
    )
