from django import forms

from messaging.models import KIND_CHOICES

HELP = (
    "Merge fields: {{ first_name }}, {{ last_name }}, {{ full_name }}, {{ business_name }}, "
    "{{ field.key }} for a contact field, {{ var.name }} for a value the API sends; a fallback "
    'for an empty value: {{ first_name | default:"there" }}.'
)


class TemplateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    kind = forms.ChoiceField(label="Kind of message", choices=KIND_CHOICES, initial="informational")
    body = forms.CharField(
        label="Text",
        max_length=1600,
        widget=forms.Textarea(attrs={"rows": 5, "data-segment-counter": "template-counter"}),
        help_text=HELP,
    )
