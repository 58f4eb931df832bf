from django import forms
from django.contrib.auth import password_validation
from django.utils.html import format_html

from accounts.hygiene import refuse_bidi_controls

from .models import TIME_ZONES
from .roles import ROLE_CHOICES, Role

US_TIME_ZONES = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Arizona"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
]


class SignupForm(forms.Form):
    full_name = forms.CharField(
        validators=[refuse_bidi_controls], label="Your name", max_length=200
    )
    email = forms.EmailField(label="Work email", max_length=254)
    password = forms.CharField(
        label="Password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not a common password.",
    )
    legal_name = forms.CharField(
        validators=[refuse_bidi_controls], label="Business legal name", max_length=255
    )
    display_name = forms.CharField(
        validators=[refuse_bidi_controls],
        label="Name your clients know",
        max_length=255,
        required=False,
        help_text="Shown in your texts. Leave empty to use the legal name.",
    )
    website = forms.URLField(
        label="Business website",
        assume_scheme="https",
        help_text="Links in your texts must point here (or to other domains you add later).",
    )
    industry_description = forms.CharField(
        label="What does your business do?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A sentence or two, e.g. 'Hair salon offering cuts, colour and styling.'",
    )
    time_zone = forms.ChoiceField(
        label="Your time zone", choices=US_TIME_ZONES, initial="America/New_York"
    )
    age_confirmed = forms.BooleanField(
        label="I am 18 or older and authorised to act for this business.",
    )
    accept_terms = forms.BooleanField(
        label="I accept the Terms of Service and the SMS policy.",
        help_text=format_html(
            "Read them first: {} · {} · {}",
            *(
                format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, label)
                for url, label in (
                    ("/legal/terms/", "Terms of Service"),
                    ("/legal/sms-policy/", "SMS/MMS content policy"),
                    ("/legal/privacy/", "Privacy policy"),
                )
            ),
        ),
    )

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value not in TIME_ZONES:
            raise forms.ValidationError("Choose a time zone from the list.")
        return value


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES, initial=Role.AGENT.value)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=ROLE_CHOICES)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="Where the key is used, e.g. 'Booking system'."
    )
    role = forms.ChoiceField(
        label="Role",
        choices=[(r, label) for r, label in ROLE_CHOICES if r != Role.OWNER.value],
        initial=Role.AGENT.value,
        help_text="What the key may do: agents send and manage contacts; viewers only read.",
    )
    twilio = forms.BooleanField(
        label="Twilio-compatible (SID + secret)",
        required=False,
        help_text="For software written for Twilio: an API key SID and secret it sends as "
        "HTTP Basic to our Twilio-compatible API.",
    )


class TwilioInboundForm(forms.Form):
    inbound_url = forms.URLField(
        label="Forward inbound texts to",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Your URL that takes Twilio's inbound-message webhook (signed with your "
        "auth token). A TwiML <Message> answer is sent as a reply. Empty: not forwarded.",
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        validators=[refuse_bidi_controls], label="Full name", max_length=200
    )
    password = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    # No accounts for anyone under 13; members act for a business, so we ask for 18+.
    age_confirmed = forms.BooleanField(label="I am 18 or older.")

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class BusinessProfileForm(forms.Form):
    display_name = forms.CharField(
        validators=[refuse_bidi_controls], label="Name your clients know", max_length=255
    )
    website = forms.URLField(label="Website", assume_scheme="https")
    industry_description = forms.CharField(
        label="What your business does",
        max_length=2000,
        required=False,  # left empty: unchanged (a description cannot be cleared)
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A sentence or two. A change is screened again, as at sign-up.",
    )
    brand_domains = forms.CharField(
        label="Your link domains",
        help_text="Domains your texts may link to, separated by commas (e.g. brightsmile.com). "
        "Links to a domain pass once you verify it on the Link domains page.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=US_TIME_ZONES)

    def clean_brand_domains(self):
        raw = self.cleaned_data["brand_domains"]
        domains = [d.strip().lower().removeprefix("www.") for d in raw.split(",") if d.strip()]
        for domain in domains:
            if "." not in domain or "/" in domain or " " in domain:
                raise forms.ValidationError(f"'{domain}' is not a domain name like example.com.")
        return domains
