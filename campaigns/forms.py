"""Portal forms. Labels and help say what each TCR field means in plain words."""

from django import forms

from . import rules, tcr
from .models import Brand, Campaign

BRAND_HELP = {
    "entity_type": "What kind of organisation you are. A sole proprietor has no EIN; everyone "
    "else registers with their EIN.",
    "display_name": "The name people know you by (your DBA or trading name). Your texts must "
    "start with it.",
    "company_name": "Your legal name exactly as the IRS has it on your EIN letter.",
    "ein": "Employer Identification Number: the 9-digit US tax ID (12-3456789). The registry "
    "checks it against the legal name.",
    "country": "Where the company is registered (only US for now).",
    "email": "An inbox the carriers can write to about this brand.",
    "business_contact_email": "Public companies only: an email at your company's domain that "
    "the registry uses to verify you.",
    "phone": "Your business phone in international form, e.g. +12025550123.",
    "mobile_phone": "Sole proprietors only: a mobile number the registry texts a code to.",
    "first_name": "Sole proprietors: your first name.",
    "last_name": "Sole proprietors: your last name.",
    "street": "The address on file with the IRS.",
    "state": "Two-letter code, e.g. NY.",
    "postal_code": "5-digit ZIP code.",
    "website": "Your website; carriers check that it matches the brand and shows how people "
    "sign up for texts.",
    "vertical": "Your industry, from the registry's list of 23.",
    "stock_symbol": "Public companies: your ticker, e.g. ACME.",
    "stock_exchange": "Public companies: where the stock trades.",
    "alt_business_id": "Optional: a DUNS, GIIN or LEI number helps the registry verify you.",
    "alt_business_id_type": "Which kind of ID the optional number above is.",
}

CAMPAIGN_HELP = {
    "name": "Your own label for this campaign; the registry does not see it.",
    "usecase": "What the texts are for. Carriers judge every message against it, so choose "
    "MIXED if you send more than one kind (for example reminders and offers).",
    "sub_usecases": "For MIXED (2 to 5) or Low Volume Mixed (1 to 5): tick each kind of text "
    "you will send.",
    "description": "In 40 or more characters: who you text, what about and why. Be concrete: "
    '"Appointment reminders and monthly offers for patients of our dental clinic."',
    "message_flow": 'How people agree to get texts (the "call to action"): where the sign-up '
    'is (web form URL, keyword, paper form), what it says (frequency, "Msg & data rates may '
    'apply", HELP and STOP), and that the box is not pre-ticked. List every way.',
    "sample1": "A real example of a text you will send. Start with your brand name; marketing "
    'texts end with "Reply STOP to opt out".',
    "sample2": "A second, different example (at least 2; one per sub use case for MIXED).",
    "sample3": "Optional third example.",
    "sample4": "Optional fourth example.",
    "sample5": "Optional fifth example.",
    "help_message": "What we reply when someone texts HELP: your brand name and how to reach "
    "you (phone, email or web).",
    "optin_message": "The first text after someone signs up: brand name, that they are "
    'subscribed, how often you text, "Msg & data rates may apply", HELP and STOP.',
    "optout_message": "The one text after someone replies STOP: brand name and that no more "
    "messages will follow. Required for every use case except 2FA.",
    "help_keywords": "Words that ask for help, comma-separated, no spaces (must include HELP).",
    "optin_keywords": "Words that subscribe again, comma-separated, no spaces.",
    "optout_keywords": "Words that unsubscribe, comma-separated, no spaces (must include STOP).",
    "subscriber_optin": "People must agree before you text them (required for every use case).",
    "subscriber_optout": "You honour STOP and the other opt-out words (required except 2FA).",
    "subscriber_help": "You answer HELP (required).",
    "number_pool": "You will send from more than 49 numbers on this campaign. Spreading texts "
    'over many numbers without declaring it is "snowshoeing" and gets numbers blocked.',
    "direct_lending": "Texts are about loans you make or arrange (not allowed by our policy).",
    "embedded_link": "Your texts contain links. Use your own domain; public link shorteners "
    "(bit.ly and the like) get texts blocked.",
    "embedded_link_sample": "An example of a link you will send.",
    "embedded_phone": "Your texts contain phone numbers other than the one sending.",
    "mms": "Your texts carry pictures (JPEG, PNG, GIF) or contact cards (MMS).",
    "age_gated": "Content for adults only, such as alcohol or tobacco (not allowed by our policy).",
    "affiliate_marketing": "Someone other than you controls the texts, or you collect numbers "
    "for others (lead generation; not allowed).",
    "auto_renewal": "Renew the registration every 3 months automatically (the registry bills "
    "quarterly).",
    "terms_and_conditions": "You accept the registry's and carriers' terms for this campaign.",
    "terms_and_conditions_link": "Your SMS terms page.",
    "privacy_policy_link": "Your privacy policy; it must say that phone numbers are not shared "
    "with third parties for marketing.",
    "automated": "Texts are sent by software (reminders, broadcasts, API) rather than typed "
    "one by one. Automated sending is only allowed from a campaign registered for it.",
}


def _url_field(label: str, help_text: str) -> forms.URLField:
    return forms.URLField(
        label=label, max_length=500, required=False, assume_scheme="https", help_text=help_text
    )


BRAND_REQUIRED = {"entity_type", "display_name", "country", "email", "phone", "street", "city",
                  "state", "postal_code", "vertical"}  # fmt: skip
# Required for some kinds of organisation only (campaigns.rules.brand_errors judges them, as
# TCR does): the label says when, instead of "(optional)".
BRAND_REQUIRED_WHEN = {
    "company_name": "required unless you are a sole proprietor",
    "ein": "required unless you are a sole proprietor",
    "first_name": "required for a sole proprietor",
    "last_name": "required for a sole proprietor",
    "mobile_phone": "required for a sole proprietor",
    "stock_symbol": "required for a public company",
    "stock_exchange": "required for a public company",
    "business_contact_email": "required for a public company",
}
CAMPAIGN_REQUIRED = {"description", "message_flow", "sample1", "sample2", "help_message",
                     "optin_message"}  # fmt: skip


def campaign_initial(brand: Brand) -> dict[str, object]:
    """A new campaign's starting texts, in the brand's name: the three replies carriers read
    (HELP, opt-in confirmation, STOP confirmation) already in the wording they expect, so a
    business edits rather than writes them from nothing."""
    name = brand.display_name
    contact = " or ".join(c for c in (brand.phone, brand.email) if c)
    return {
        "brand": brand.uuid,
        "help_message": f"{name}: for help contact us at {contact}. Msg & data rates may apply. "
        "Reply STOP to opt out.",
        "optin_message": f"{name}: you are subscribed to our texts. Msg frequency varies. "
        "Msg & data rates may apply. Reply HELP for help, STOP to opt out.",
        "optout_message": f"{name}: you are unsubscribed and will get no more texts from us. "
        "Reply START to subscribe again.",
    }


class BrandForm(forms.ModelForm):
    website = _url_field("Website", BRAND_HELP["website"])

    class Meta:
        model = Brand
        fields = tcr.BRAND_FIELDS
        help_texts = BRAND_HELP
        labels = {
            "entity_type": "Kind of organisation",
            "country": "Country",
            "email": "Email",
            "business_contact_email": "Business contact email",
            "phone": "Phone",
            "mobile_phone": "Mobile phone",
            "first_name": "First name",
            "last_name": "Last name",
            "street": "Street",
            "city": "City",
            "state": "State",
            "postal_code": "ZIP code",
            "ein": "EIN",
            "display_name": "Brand name",
            "company_name": "Legal name",
            "vertical": "Industry (vertical)",
            "stock_symbol": "Stock symbol",
            "stock_exchange": "Stock exchange",
            "alt_business_id": "Other business ID",
            "alt_business_id_type": "Kind of that ID",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("stock_exchange", "alt_business_id_type"):
            self.fields[name].required = False
        for name, field in self.fields.items():
            # Conditional rules (EIN unless sole proprietor, ...) are the services' to judge.
            field.required = name in BRAND_REQUIRED
            field.required_when = BRAND_REQUIRED_WHEN.get(name, "")  # type: ignore[attr-defined]
            if field.required:
                field.error_messages["required"] = f"{field.label} is required."

    def _post_clean(self):
        """No model validation here: services check every rule, in TCR's words."""


class CampaignForm(forms.ModelForm):
    sub_usecases = forms.MultipleChoiceField(
        label="Also used for (sub use cases)",
        choices=[(c, tcr.usecase_label(c)) for c in tcr.SUB_USECASES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=CAMPAIGN_HELP["sub_usecases"],
    )
    brand = forms.ModelChoiceField(
        label="Brand", queryset=Brand.objects.none(), to_field_name="uuid", empty_label=None
    )
    terms_and_conditions_link = _url_field(
        "SMS terms page", CAMPAIGN_HELP["terms_and_conditions_link"]
    )
    privacy_policy_link = _url_field("Privacy policy page", CAMPAIGN_HELP["privacy_policy_link"])

    class Meta:
        model = Campaign
        fields = ["brand", *tcr.CAMPAIGN_FIELDS]
        help_texts = CAMPAIGN_HELP
        labels = {
            "name": "Campaign name",
            "description": "Description",
            "usecase": "Use case",
            "help_keywords": "HELP keywords",
            "optin_keywords": "Opt-in keywords",
            "optout_keywords": "Opt-out keywords",
            "subscriber_optin": "People opt in first",
            "subscriber_optout": "You honour STOP",
            "subscriber_help": "You answer HELP",
            "number_pool": "Number pool (more than 49 numbers)",
            "direct_lending": "About loans or direct lending",
            "embedded_link": "Messages contain links",
            "embedded_link_sample": "A sample link",
            "embedded_phone": "Messages contain phone numbers",
            "mms": "Messages carry pictures or contact cards (MMS)",
            "age_gated": "Age-gated content",
            "affiliate_marketing": "Affiliate marketing",
            "auto_renewal": "Renew automatically",
            "terms_and_conditions": "I accept the registry's and carriers' terms",
            "message_flow": "How people opt in (message flow)",
            "help_message": "HELP reply",
            "optin_message": "Opt-in confirmation text",
            "optout_message": "Opt-out confirmation text",
            "automated": "Registered for automated messaging",
            "join_keywords": "Join keywords",
            "join_double_opt_in": "Ask people who text a join word to confirm with YES",
            "join_frequency": "How often you text (for the sign-up confirmation)",
            **{f"sample{i}": f"Sample message {i}" for i in range(1, 6)},
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "message_flow": forms.Textarea(attrs={"rows": 4}),
            **{f"sample{i}": forms.Textarea(attrs={"rows": 2}) for i in range(1, 6)},
            "help_message": forms.Textarea(attrs={"rows": 2}),
            "optin_message": forms.Textarea(attrs={"rows": 3}),
            "optout_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, business, frozen: frozenset[str] = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        brand = self.fields["brand"]
        assert isinstance(brand, forms.ModelChoiceField)  # the model's foreign key
        brand.queryset = Brand.objects.filter(business=business)
        brand.help_text = "The registered brand this campaign belongs to."
        for name, field in self.fields.items():
            # Conditional rules (opt-out text except 2FA, ...) are the services' to judge.
            if name not in ("usecase", "brand"):
                field.required = name in CAMPAIGN_REQUIRED
            if name == "optout_message":
                # required unless the use case is 2FA: neither "(optional)" nor required here
                field.conditional = True  # type: ignore[attr-defined]
            if field.required and name in rules.LENGTHS:
                low, high = rules.LENGTHS[name]
                field.error_messages["required"] = (
                    f"{field.label} is required ({low}–{high} characters)."
                )
            if name in frozen:
                field.disabled = True
                field.help_text = (
                    f"{field.help_text} Frozen: the registry does not allow changing this "
                    "after submission."
                )
        if self.instance.pk:
            self.fields["brand"].disabled = True

    def _post_clean(self):
        """No model validation here: services check every rule, in TCR's words."""


class AppealForm(forms.Form):
    explanation = forms.CharField(
        label="What you changed",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you changed after the rejection, and why it now meets the rules.",
    )


class DeactivateForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=500, help_text="Why you are closing this campaign."
    )


class NumberSearchForm(forms.Form):
    area_code = forms.RegexField(
        label="Area code",
        regex=r"^\d{3}$",
        max_length=3,
        help_text="A 3-digit US area code, e.g. 212.",
        error_messages={"invalid": "Enter a 3-digit US area code."},
    )


class ProvisionForm(forms.Form):
    number = forms.CharField(label="Number", max_length=20)


class AssignForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label="Campaign", queryset=Campaign.objects.none(), to_field_name="uuid", empty_label=None
    )

    def __init__(self, *args, business, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Campaign.objects.filter(business=business, status=Campaign.Status.APPROVED)
