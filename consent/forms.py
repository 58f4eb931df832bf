"""Portal forms of consent (thin: services validate the rules)."""

from django import forms

from .models import KIND_CHOICES, LANGUAGE_CHOICES, Method


class ContactForm(forms.Form):
    phone = forms.CharField(
        label="Mobile number", max_length=40, help_text="Any format; US numbers without +1 work."
    )
    name = forms.CharField(label="Name", max_length=200, required=False)
    email = forms.EmailField(label="Email", required=False, max_length=254)
    time_zone = forms.CharField(
        label="Time zone",
        max_length=64,
        required=False,
        help_text="Leave empty to derive it from the number.",
    )
    tags = forms.CharField(
        label="Tags", required=False, help_text="Comma-separated, e.g. vip, spring"
    )
    language = forms.ChoiceField(
        label="Language for HELP and STOP replies",
        choices=[("", "Not set: English"), *LANGUAGE_CHOICES],
        required=False,
        help_text="Set by itself when they text a keyword in Spanish (AYUDA, PARAR).",
    )


class ContactEditForm(ContactForm):
    phone = None  # type: ignore[assignment]  # None removes an inherited field (Django)


RECORDABLE_METHODS = [
    (Method.VERBAL_SCRIPT.value, "Verbal (script read to the person): informational only"),
    (Method.WEB_FORM.value, "Web form elsewhere (give the page URL)"),
    (Method.PORTAL.value, "Paper form or in person, no file: informational only"),
    (Method.SIGNED_RECORD.value, "Signed record (upload the signed form or e-signature)"),
]
# Marketing texts need written consent (TCPA): the service refuses the others for marketing
# unless double opt-in is asked (the person's YES is written), and says so on the form.


class ConsentRecordForm(forms.Form):
    method = forms.ChoiceField(label="How they agreed", choices=RECORDABLE_METHODS)
    campaign = forms.ChoiceField(
        label="Campaign", required=False, help_text="Or choose a kind below."
    )
    kind = forms.ChoiceField(
        label="Kind of message", choices=[("", "—"), *KIND_CHOICES], required=False
    )
    disclosure_text = forms.CharField(
        label="What they were shown or read",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Exactly what the person was shown or read (for verbal: the full script).",
    )
    page_url = forms.URLField(label="Web page of the form", required=False, assume_scheme="https")
    source = forms.CharField(
        label="Where", max_length=300, required=False, help_text="e.g. front desk, 3 May"
    )
    double_opt_in = forms.BooleanField(
        label="Ask them to confirm by text (double opt-in)",
        required=False,
        initial=True,
        help_text='Text "Reply YES to confirm" first (recommended).',
    )
    signed_record = forms.FileField(
        label="Signed record",
        required=False,
        help_text="For a signed record: the PDF, image or export of the signed consent "
        "(at most 5 MB). It is stored with its SHA-256.",
    )

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(str(c.uuid), str(c)) for c in campaigns]


class OptOutForm(forms.Form):
    campaign = forms.ChoiceField(
        label="Opt out of", required=False, help_text="Empty: every campaign (STOPALL)."
    )
    note = forms.CharField(
        label="Note", max_length=300, required=False, help_text="How they asked."
    )

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All of this business's texts")] + [
            (str(c.uuid), str(c)) for c in campaigns
        ]


class OptInFormForm(forms.Form):
    name = forms.CharField(label="Form name", max_length=120, help_text="Your own label.")
    headline = forms.CharField(label="Headline", max_length=200, initial="Get texts from us")
    campaigns = forms.MultipleChoiceField(
        label="Campaigns",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The campaigns people opt in to. None: the kind below.",
    )
    scope_kind = forms.ChoiceField(
        label="Kind of messages (with no campaign ticked)",
        choices=KIND_CHOICES,
        initial="marketing",
    )
    program_name = forms.CharField(
        label="Program name", max_length=120, help_text="Brand or program name shown."
    )
    message_description = forms.CharField(
        label="What you will text",
        max_length=300,
        help_text="What you text, e.g. appointment reminders and offers",
    )
    frequency = forms.CharField(label="How often", max_length=120, initial="Up to 4 msgs/month")
    terms_url = forms.URLField(label="Terms page address", max_length=500, assume_scheme="https")
    privacy_url = forms.URLField(
        label="Privacy policy page address",
        assume_scheme="https",
        max_length=500,
        help_text="It must say mobile opt-in data is not shared.",
    )
    disclosure_extra = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Extra disclosure text"
    )
    collect_name = forms.BooleanField(label="Ask for their name", required=False, initial=True)
    collect_email = forms.BooleanField(label="Ask for their email", required=False)
    allowed_origins = forms.CharField(
        label="Sites allowed",  # the one name for it, in the list of forms too
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="One per line, e.g. https://www.example.com — only these sites can embed it.",
    )
    double_opt_in = forms.BooleanField(
        label="Ask them to confirm by text (double opt-in)",
        required=False,
        initial=True,
        help_text='Text "Reply YES to confirm" (recommended).',
    )
    success_message = forms.CharField(
        label="Thank-you message",
        max_length=300,
        initial="Thanks! Check your phone and reply YES to confirm.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaigns"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(c.uuid), str(c)) for c in campaigns]


class ImportUploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="A CSV file with a header row.")


class ImportMappingForm(forms.Form):
    # one of the two is needed (the form's clean says so): neither is marked "(optional)"
    campaign = forms.ChoiceField(
        label="Campaign",
        required=False,
        help_text="The campaign people consented to, or a kind of message below: one of the two.",
    )
    scope_kind = forms.ChoiceField(
        choices=[("", "—"), *KIND_CHOICES], required=False, label="Or a kind of message"
    )
    tags = forms.CharField(
        label="Tags to add", required=False, help_text="Added to every imported contact."
    )
    attest = forms.BooleanField(label="I confirm the attestation above", required=True)

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
            label="Other columns",
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text="Other columns to keep as custom fields.",
        )
        campaign = self.fields["campaign"]
        assert isinstance(campaign, forms.ChoiceField)
        campaign.choices = [("", "—")] + [(str(c.uuid), str(c)) for c in campaigns]
        for name in ("campaign", "scope_kind"):
            self.fields[name].one_of_two = True  # type: ignore[attr-defined]
        # keep the attestation last, next to the button
        self.fields["attest"] = self.fields.pop("attest")


class ProofForm(forms.Form):
    campaign = forms.ChoiceField(label="Campaign or kind", required=False)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "All campaigns and kinds")] + [
            (str(c.uuid), str(c)) for c in campaigns
        ]


class SubjectLookupForm(forms.Form):
    phone = forms.CharField(label="Mobile number", max_length=40)
