from django import forms

from . import money


class CapForm(forms.Form):
    monthly_cap = forms.CharField(
        label="Monthly spending cap for messages (USD)",
        required=False,
        max_length=20,
        help_text="Most that texts may add to a month's bill beyond the plan's included "
        "segments. Sending stops before it would be exceeded. Empty: no cap.",
    )

    def clean_monthly_cap(self) -> int | None:
        text = self.cleaned_data["monthly_cap"].strip()
        if not text:
            return None
        try:
            return money.parse_cents(text)
        except ValueError as exc:
            raise forms.ValidationError("An amount in dollars, e.g. 250 or 99.50.") from exc


class BillingEmailForm(forms.Form):
    billing_email = forms.EmailField(
        label="Billing contact email",
        required=False,
        help_text="Invoices are emailed here; empty: to the owners and billing members.",
    )


class CreditNoteForm(forms.Form):
    """Staff's credit note in the admin."""

    amount = forms.CharField(label="Amount (e.g. 12.50)", max_length=20)
    reason = forms.CharField(label="Reason (the business reads it)", max_length=300)

    def clean_amount(self) -> int:
        try:
            cents = money.parse_cents(self.cleaned_data["amount"])
        except ValueError as exc:
            raise forms.ValidationError("An amount, e.g. 12.50.") from exc
        if cents <= 0:
            raise forms.ValidationError("The amount must be more than zero.")
        return cents


class WaiveForm(forms.Form):
    reason = forms.CharField(label="Why is the fine waived?", max_length=300)
