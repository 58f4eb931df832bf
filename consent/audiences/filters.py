"""A saved segment's filters: their one shape, checked here (pure, no ORM).

    {"tags": ["vip"],                                   # every tag
     "fields": [{"key": "visits", "op": "gte", "value": 3}],
     "consent": "opted_in" | "opted_out" | "pending" | "none" | "",
     "active_within_days": 30 | None,                   # texted us within N days
     "inactive_days": 90 | None}                        # no text from them for N days, or never

Field operators: ``eq``, ``ne``, ``contains`` (text), ``gt``, ``gte``, ``lt``, ``lte``
(numbers and dates), ``set``, ``empty``. A value is coerced to the field's type
(``consent.inputs.coerce_custom_value``), so ``visits gte "3"`` compares numbers.
"""

from typing import Any

from accounts.errors import ValidationFailed
from consent.inputs import coerce_custom_value

OPS = ("eq", "ne", "contains", "gt", "gte", "lt", "lte", "set", "empty")
ORDERED = ("gt", "gte", "lt", "lte")
CONSENT = ("", "opted_in", "opted_out", "pending", "none")
MAX_CONDITIONS = 10
MAX_DAYS = 3650


def _days(value: Any, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(fields={name: ["A whole number of days."]}) from None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(fields={name: [f"Between 1 and {MAX_DAYS} days."]})
    return days


def clean(raw: Any, *, kinds: dict[str, str]) -> dict[str, Any]:
    """The filters in their one shape; ``kinds`` are the business's field types."""
    if not isinstance(raw, dict):
        raise ValidationFailed(fields={"filters": ["Must be an object."]})
    unknown = set(raw) - {"tags", "fields", "consent", "active_within_days", "inactive_days"}
    if unknown:
        raise ValidationFailed(fields={"filters": [f"Unknown filter {sorted(unknown)[0]!r}."]})
    tags = raw.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValidationFailed(fields={"filters.tags": ["A list of tags."]})
    conditions = raw.get("fields") or []
    if not isinstance(conditions, list) or len(conditions) > MAX_CONDITIONS:
        raise ValidationFailed(
            fields={"filters.fields": [f"A list of at most {MAX_CONDITIONS} conditions."]}
        )
    fields = []
    for i, cond in enumerate(conditions):
        where = f"filters.fields.{i}"
        if not isinstance(cond, dict):
            raise ValidationFailed(fields={where: ["Must be an object."]})
        key, op = str(cond.get("key") or ""), str(cond.get("op") or "eq")
        if key not in kinds:
            raise ValidationFailed(fields={f"{where}.key": [f"No contact field {key[:40]!r}."]})
        if op not in OPS:
            raise ValidationFailed(fields={f"{where}.op": [f"One of {', '.join(OPS)}."]})
        kind = kinds[key]
        if op in ORDERED and kind == "text":
            raise ValidationFailed(
                fields={f"{where}.op": ["Text fields compare with eq, ne, contains."]}
            )
        if op == "contains" and kind != "text":
            raise ValidationFailed(fields={f"{where}.op": ["contains is for text fields."]})
        value: Any = None
        if op not in ("set", "empty"):
            if cond.get("value") in (None, ""):
                raise ValidationFailed(fields={f"{where}.value": ["Give a value."]})
            try:
                value = coerce_custom_value(kind, cond["value"])
            except ValueError as exc:
                raise ValidationFailed(fields={f"{where}.value": [f"{key} {exc}."]}) from None
        fields.append({"key": key, "op": op, "value": value})
    consent = str(raw.get("consent") or "")
    if consent not in CONSENT:
        raise ValidationFailed(fields={"filters.consent": [f"One of {', '.join(CONSENT[1:])}."]})
    return {
        "tags": sorted({t.strip()[:50] for t in tags if t.strip()}),
        "fields": fields,
        "consent": consent,
        "active_within_days": _days(raw.get("active_within_days"), "filters.active_within_days"),
        "inactive_days": _days(raw.get("inactive_days"), "filters.inactive_days"),
    }


def describe(filters: dict[str, Any]) -> str:
    """The filters in words, for lists and the broadcast page."""
    words = []
    if filters.get("tags"):
        words.append("tagged " + " and ".join(filters["tags"]))
    names = {"eq": "=", "ne": "≠", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
    for cond in filters.get("fields") or []:
        if cond["op"] == "set":
            words.append(f"{cond['key']} is set")
        elif cond["op"] == "empty":
            words.append(f"{cond['key']} is empty")
        elif cond["op"] == "contains":
            words.append(f"{cond['key']} contains “{cond['value']}”")
        else:
            words.append(f"{cond['key']} {names[cond['op']]} {cond['value']}")
    consent = filters.get("consent")
    if consent:
        words.append(
            {"none": "no consent recorded", "pending": "consent pending"}.get(
                consent, consent.replace("_", " ")
            )
        )
    if filters.get("active_within_days"):
        words.append(f"texted us in the last {filters['active_within_days']} days")
    if filters.get("inactive_days"):
        words.append(f"no text from them for {filters['inactive_days']} days")
    return "; ".join(words) or "every contact"
