"""Billing for compliance staff: every business's balance, invoices (read-only), credit
notes with a reason, waiving a fine, plans and price versions. Every write goes through
``services`` and is in the audit trail."""

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.errors import ApplicationError

from . import money, services
from .forms import CreditNoteForm, WaiveForm
from .models import (
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
    Plan,
    PriceVersion,
    UsageKind,
    UsageRecord,
)
from .selectors import balances


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BillingAccount)
class BillingAccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("business", "plan", "standing", "balance", "card_on_file", "cap")
    list_filter = ("standing", "plan")
    search_fields = ("business__display_name", "business__legal_name")

    def get_queryset(self, request):
        return balances()

    @admin.display(description="Owed", ordering="owed")
    def balance(self, obj):
        return money.format_cents(obj.owed or 0, obj.currency)

    @admin.display(boolean=True, description="Card on file")
    def card_on_file(self, obj):
        return bool(obj.processor_payment_method_id)

    @admin.display(description="Monthly cap")
    def cap(self, obj):
        if obj.monthly_cap_cents is None:
            return "—"
        return money.format_cents(obj.monthly_cap_cents, obj.currency)


class InvoiceLineInline(ReadOnlyMixin, admin.TabularInline):
    model = InvoiceLine
    fields = ("position", "kind", "description", "quantity", "included", "amount")
    readonly_fields = fields
    extra = 0

    @admin.display(description="Amount")
    def amount(self, obj):
        return money.format_cents(obj.amount_cents, obj.invoice.currency)


class CreditNoteInline(ReadOnlyMixin, admin.TabularInline):
    model = CreditNote
    fields = ("number", "amount_cents", "reason", "issued_by", "issued_at")
    readonly_fields = fields
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "business", "period_start", "status", "total", "balance")
    list_filter = ("status",)
    search_fields = ("number", "business__display_name")
    inlines = [InvoiceLineInline, CreditNoteInline]
    list_select_related = ("business",)
    readonly_fields = (
        "number",
        "business",
        "period_start",
        "period_end",
        "status",
        "total",
        "balance",
        "issued_at",
        "paid_at",
        "failure_code",
        "failure_message",
        "credit_note_link",
    )
    fields = readonly_fields

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    @admin.display(description="Total")
    def total(self, obj):
        return money.format_cents(obj.total_cents, obj.currency)

    @admin.display(description="Balance")
    def balance(self, obj):
        return money.format_cents(obj.balance_cents, obj.currency)

    @admin.display(description="Correct it")
    def credit_note_link(self, obj):
        url = reverse("admin:billing_invoice_credit_note", args=[obj.pk])
        return format_html('<a href="{}">Issue a credit note…</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:invoice_id>/credit-note/",
                self.admin_site.admin_view(self.credit_note_view),
                name="billing_invoice_credit_note",
            ),
            *super().get_urls(),
        ]

    def credit_note_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        form = CreditNoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                note = services.credit_note_issue(
                    invoice=invoice,
                    amount_cents=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                for field, errors in exc.fields.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, f"Credit note {note.number} issued.")
                return redirect("admin:billing_invoice_change", invoice.pk)
        return TemplateResponse(
            request,
            "admin/billing/form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Credit note for {invoice.number}",
                "intro": f"Total {money.format_cents(invoice.total_cents, invoice.currency)}, "
                f"balance {money.format_cents(invoice.balance_cents, invoice.currency)}.",
                "form": form,
                "submit": "Issue credit note",
            },
        )


@admin.register(UsageRecord)
class UsageRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Usage as metered (read-only); carrier fines can be waived, with a reason."""

    list_display = ("occurred_at", "business", "kind", "quantity", "amount", "invoice", "waived")
    list_filter = ("kind",)
    search_fields = ("business__display_name", "source_key")
    list_select_related = ("business", "invoice")
    readonly_fields = (
        "business",
        "kind",
        "quantity",
        "amount_cents",
        "description",
        "source_key",
        "occurred_at",
        "period",
        "invoice",
        "waived_at",
        "waived_reason",
        "waive_link",
    )
    fields = readonly_fields

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff

    @admin.display(description="Amount")
    def amount(self, obj):
        return (
            "" if obj.amount_cents is None else money.format_cents(obj.amount_cents, obj.currency)
        )

    @admin.display(boolean=True)
    def waived(self, obj):
        return obj.waived_at is not None

    @admin.display(description="Waive")
    def waive_link(self, obj):
        if obj.kind != UsageKind.CARRIER_FINE or obj.waived_at:
            return "—"
        url = reverse("admin:billing_usagerecord_waive", args=[obj.pk])
        return format_html('<a href="{}">Waive this fine…</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:record_id>/waive/",
                self.admin_site.admin_view(self.waive_view),
                name="billing_usagerecord_waive",
            ),
            *super().get_urls(),
        ]

    def waive_view(self, request, record_id):
        record = get_object_or_404(UsageRecord, pk=record_id, kind=UsageKind.CARRIER_FINE)
        form = WaiveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.fine_waive(
                    record=record, reason=form.cleaned_data["reason"], actor=request.user
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                done = (
                    f"credit note {result.number} issued"
                    if isinstance(result, CreditNote)
                    else "left off the invoice"
                )
                messages.success(request, f"Fine waived: {done}.")
                return redirect("admin:billing_usagerecord_change", record.pk)
        return TemplateResponse(
            request,
            "admin/billing/form.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Waive a carrier fine of {record.business}",
                "intro": f"{record.description} — "
                f"{money.format_cents(record.amount_cents or 0, record.currency)}",
                "form": form,
                "submit": "Waive",
            },
        )


class PriceVersionForm(forms.ModelForm):
    class Meta:
        model = PriceVersion
        fields = (
            "plan",
            "effective_from",
            "monthly_fee_cents",
            "included_segments",
            "sms_segment_subcents",
            "mms_subcents",
            "number_month_subcents",
            "brand_registration_cents",
            "campaign_vetting_cents",
            "campaign_monthly_cents",
        )

    def clean_effective_from(self):
        start = self.cleaned_data["effective_from"]
        errors = services.price_version_errors(effective_from=start, now=timezone.now())
        if errors:
            raise forms.ValidationError(errors["effective_from"])
        return start


@admin.register(PriceVersion)
class PriceVersionAdmin(admin.ModelAdmin):
    """Prices are added as a new version from a coming period; a version is never edited
    (a started one prices invoices already issued or being metered)."""

    form = PriceVersionForm
    list_display = ("plan", "effective_from", "monthly_fee_cents", "included_segments")
    list_filter = ("plan",)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("plan", "effective_from")}
        version = services.price_version_create(
            plan=form.cleaned_data["plan"],
            effective_from=form.cleaned_data["effective_from"],
            actor=request.user,
            **data,
        )
        obj.pk = version.pk


class PriceVersionInline(ReadOnlyMixin, admin.TabularInline):
    model = PriceVersion
    fields = ("effective_from", "monthly_fee_cents", "included_segments", "sms_segment_subcents")
    readonly_fields = fields
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Plans; their prices are versions (added under "Price versions")."""

    list_display = ("slug", "name", "currency")
    inlines = [PriceVersionInline]
