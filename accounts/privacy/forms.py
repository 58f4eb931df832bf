"""Forms of the privacy pages: my account, cookie choices, deletion and closing."""

from django import forms

from accounts.hygiene import refuse_bidi_controls

from .cookies import CATEGORIES, OPTIONAL


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        validators=[refuse_bidi_controls], label="Your name", max_length=200
    )


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(
        label="Your current password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="We then send a link to the new address; it changes when you open it.",
    )


class MarketingForm(forms.Form):
    marketing_email = forms.BooleanField(
        label="Send me news and offers from Contact Your Client by email",
        required=False,
        help_text="Service emails (security, invitations, policy changes) are always sent.",
    )


class CookieChoiceForm(forms.Form):
    action = forms.ChoiceField(
        label="Your choice",  # the buttons' name: "Accept all", "Reject all", "Save my choices"
        choices=[
            ("accept_all", "Accept all"),
            ("reject_all", "Reject all"),
            ("customise", "Save my choices"),
        ],
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in OPTIONAL:
            self.fields[key] = forms.BooleanField(
                label=CATEGORIES[key]["label"],
                help_text=CATEGORIES[key]["description"],
                required=False,
            )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label="I understand my account is deleted for good and I can no longer log in.",
    )


class CloseBusinessForm(forms.Form):
    confirmation = forms.CharField(
        label="Type the business name to confirm",
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
