from django import forms

from consent.inputs import FIELD_KINDS

from .filters import CONSENT, OPS

CONSENT_CHOICES = [
    ("", "Any"),
    ("opted_in", "Opted in"),
    ("opted_out", "Opted out"),
    ("pending", "Pending double opt-in"),
    ("none", "No consent recorded"),
]
assert [c for c, _ in CONSENT_CHOICES] == list(CONSENT)
OP_CHOICES = [
    ("eq", "is"),
    ("ne", "is not"),
    ("contains", "contains"),
    ("gt", "more than / after"),
    ("gte", "at least / on or after"),
    ("lt", "less than / before"),
    ("lte", "at most / on or before"),
    ("set", "is set"),
    ("empty", "is empty"),
]
assert [c for c, _ in OP_CHOICES] == list(OPS)
CONDITIONS = 3


class ContactFieldForm(forms.Form):
    key = forms.CharField(
        label="Key",
        max_length=40,
        help_text="e.g. last_visit — used in templates as {{ field.last_visit }}",
    )
    label = forms.CharField(label="Label", max_length=80, required=False)
    kind = forms.ChoiceField(label="Type", choices=[(k, k.capitalize()) for k in FIELD_KINDS])


class SegmentForm(forms.Form):
    name = forms.CharField(label="Segment name", max_length=120)
    tags = forms.CharField(
        label="Tagged", max_length=300, required=False, help_text="Comma-separated: every tag."
    )
    consent = forms.ChoiceField(label="Consent", choices=CONSENT_CHOICES, required=False)
    active_within_days = forms.IntegerField(
        label="Texted us within (days)", required=False, min_value=1, max_value=3650
    )
    inactive_days = forms.IntegerField(
        label="No text from them for (days)", required=False, min_value=1, max_value=3650
    )

    def __init__(self, *args, field_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(CONDITIONS):
            self.fields[f"field_{i}"] = forms.ChoiceField(
                label=f"Condition {i + 1}: field",
                choices=[("", "—"), *field_choices],
                required=False,
            )
            self.fields[f"op_{i}"] = forms.ChoiceField(
                label=f"Condition {i + 1}: test", choices=OP_CHOICES, required=False
            )
            self.fields[f"value_{i}"] = forms.CharField(
                label=f"Condition {i + 1}: value", max_length=200, required=False
            )

    def filters(self) -> dict:
        data = self.cleaned_data
        conditions = [
            {"key": data[f"field_{i}"], "op": data[f"op_{i}"] or "eq", "value": data[f"value_{i}"]}
            for i in range(CONDITIONS)
            if data.get(f"field_{i}")
        ]
        return {
            "tags": data.get("tags") or "",
            "fields": conditions,
            "consent": data.get("consent") or "",
            "active_within_days": data.get("active_within_days"),
            "inactive_days": data.get("inactive_days"),
        }
