"""Portal forms of consent (thin: services validate the rules)."""

from django import forms

from .models import KIND_CHOICES, Method


class ContactForm(forms.Form):
    phone = forms.CharField(max_length=40, help_text="Any format; US numbers without +1 work.")
    name = forms.CharField(max_length=200, required=False)
    email = forms.EmailField(required=False, max_length=254)
    time_zone = forms.CharField(
        max_length=64, required=False, help_text="Leave empty to derive it from the number."
    )
    tags = forms.CharField(required=False, help_text="Comma-separated lists, e.g. vip, spring")


class ContactEditForm(ContactForm):
    phone = None  # type: ignore[assignment]  # None removes an inherited field (Django)


RECORDABLE_METHODS = [
    (Method.VERBAL_SCRIPT.value, "Verbal (script read to the person)"),
    (Method.WEB_FORM.value, "Web form elsewhere (give the page URL)"),
    (Method.PORTAL.value, "Other written consent (paper form, in person)"),
]


class ConsentRecordForm(forms.Form):
    method = forms.ChoiceField(choices=RECORDABLE_METHODS)
    campaign = forms.ChoiceField(required=False, help_text="Or choose a kind below.")
    kind = forms.ChoiceField(choices=[("", "—"), *KIND_CHOICES], required=False)
    disclosure_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Exactly what the person was shown or read (for verbal: the full script).",
    )
    page_url = forms.URLField(required=False, assume_scheme="https")
    source = forms.CharField(max_length=300, required=False, help_text="e.g. front desk, 3 May")
    double_opt_in = forms.BooleanField(
        required=False, initial=True, help_text='Text "Reply YES to confirm" first (recommended).'
    )

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(str(c.uuid), str(c)) for c in campaigns]


class OptOutForm(forms.Form):
    campaign = forms.ChoiceField(required=False, help_text="Empty: every campaign (STOPALL).")
    note = forms.CharField(max_length=300, required=False, help_text="How they asked.")

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All of this business's texts")] + [
            (str(c.uuid), str(c)) for c in campaigns
        ]


class OptInFormForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="Your own label.")
    headline = forms.CharField(max_length=200, initial="Get texts from us")
    campaigns = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The campaigns people opt in to. None: the kind below.",
    )
    scope_kind = forms.ChoiceField(choices=KIND_CHOICES, initial="marketing")
    program_name = forms.CharField(max_length=120, help_text="Brand or program name shown.")
    message_description = forms.CharField(
        max_length=300, help_text="What you text, e.g. appointment reminders and offers"
    )
    frequency = forms.CharField(max_length=120, initial="Up to 4 msgs/month")
    terms_url = forms.URLField(max_length=500, assume_scheme="https")
    privacy_url = forms.URLField(
        assume_scheme="https",
        max_length=500,
        help_text="It must say mobile opt-in data is not shared.",
    )
    disclosure_extra = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Extra disclosure text"
    )
    collect_name = forms.BooleanField(required=False, initial=True)
    collect_email = forms.BooleanField(required=False)
    allowed_origins = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line, e.g. https://www.example.com — only these sites can embed it.",
    )
    double_opt_in = forms.BooleanField(
        required=False, initial=True, help_text='Text "Reply YES to confirm" (recommended).'
    )
    success_message = forms.CharField(
        max_length=300, initial="Thanks! Check your phone and reply YES to confirm."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaigns"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.uuid), str(c)) for c in campaigns]


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="A CSV file with a header row.")


class ImportMappingForm(forms.Form):
    campaign = forms.ChoiceField(required=False, help_text="The campaign people consented to.")
    scope_kind = forms.ChoiceField(
        choices=[("", "—"), *KIND_CHOICES], required=False, label="Or a kind of message"
    )
    tags = forms.CharField(required=False, help_text="Added to every imported contact.")
    attest = forms.BooleanField(required=True)

    def __init__(self, *args, headers=(), campaigns=(), targets=(), initial_map=None, **kw):
        super().__init__(*args, **kw)
        column_choices = [("", "— not in the file —")] + [(h, h) for h in headers]
        for target in targets:
            self.fields[f"map_{target}"] = forms.ChoiceField(
                choices=column_choices,
                required=target == "phone",
                label=target.replace("_", " ").capitalize(),
                initial=(initial_map or {}).get(target, ""),
            )
        self.fields["custom"] = forms.MultipleChoiceField(
            choices=[(h, h) for h in headers],
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="Other columns to keep as custom fields.",
        )
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ChoiceField)
        campaign.choices = [("", "—")] + [(str(c.uuid), str(c)) for c in campaigns]
        # keep the attestation last, next to the button
        self.fields["attest"] = self.fields.pop("attest")


class ProofForm(forms.Form):
    campaign = forms.ChoiceField(required=False)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All campaigns and kinds")] + [
            (str(c.uuid), str(c)) for c in campaigns
        ]


class SubjectLookupForm(forms.Form):
    phone = forms.CharField(max_length=40)
