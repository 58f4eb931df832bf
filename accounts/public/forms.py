"""Forms of the public site: book a call, ask support."""

import phonenumbers
from django import forms

from accounts.forms import US_TIME_ZONES

from .models import AppointmentRequest


class AppointmentForm(forms.Form):
    topic = forms.ChoiceField(
        label="What is the call about?",
        choices=AppointmentRequest.Topic.choices,
        initial=AppointmentRequest.Topic.DEMO,
    )
    name = forms.CharField(label="Your name", max_length=200)
    # The column's length: Django's validator alone lets 320 characters through.
    email = forms.EmailField(label="Email", max_length=254, help_text="We confirm the time here.")
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="A US number we can call, e.g. (415) 555-0123.",
    )
    preferred_times = forms.CharField(
        label="When can we call?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="A few days and times that suit you, e.g. 'Tue or Wed 10am–noon'.",
    )
    time_zone = forms.ChoiceField(label="Your time zone", choices=US_TIME_ZONES)
    note = forms.CharField(
        label="Anything we should know?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def clean_phone(self):
        raw = self.cleaned_data["phone"]
        try:
            parsed = phonenumbers.parse(raw, "US")
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is None or not phonenumbers.is_valid_number(parsed):
            raise forms.ValidationError("Enter a valid phone number, e.g. (415) 555-0123.")
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class SupportForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=200)
    email = forms.EmailField(label="Email", max_length=254, help_text="We answer here.")
    subject = forms.CharField(label="Subject", max_length=200)
    body = forms.CharField(
        label="How can we help?",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        help_text="Say what you tried and what happened. Never include passwords or API keys.",
    )


class VisitorDataForm(forms.Form):
    email = forms.EmailField(
        label="The email you wrote to us from",
        max_length=254,
        help_text="We send a link there: only whoever reads that inbox can open your data.",
    )
    action = forms.ChoiceField(
        label="What do you ask for?",
        choices=[
            ("export", "A copy of the requests I sent (calls booked, questions to support)"),
            ("erase", "Delete the requests I sent"),
        ],
        widget=forms.RadioSelect,
    )
