"""Billing's entries in the privacy registries (registered by BillingConfig.ready()).

Billing records are tax records: invoices, their lines and credit notes are kept for
``BILLING_RETENTION_YEARS`` (default 7, the longest US federal record period for
business income records, 26 CFR 1.6001-1 with the IRS's 7-year rule for bad-debt
deductions) even when the business is closed and its other data anonymised. After that
the person's part (the billed-to name and email) is anonymised; amounts, numbers and
lines stay (they name no one). The billing contact's email goes with the business's own
data when a closed business is purged.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Business, User

from . import money
from .models import BillingAccount, CreditNote, Invoice, InvoiceLine

RETENTION_RULE = (
    "billing records: billed-to name and email anonymised after BILLING_RETENTION_YEARS"
)
ANONYMISED = "(anonymised)"

PERSONAL_DATA: list[dict[str, Any]] = [
    {
        "model": "billing.Invoice",
        "fields": ["billed_to_name", "billed_to_email"],
        "erasure": "kept for the legal period (tax records); then anonymised by the retention rule",
        "export": "section billing of the business export (every invoice with its lines); "
        "section billing of the person's own export (invoices billed to their email)",
        "retention": RETENTION_RULE,
    },
    {
        "model": "billing.BillingAccount",
        "fields": ["billing_email"],
        "erasure": "cleared when the closed business is purged, or by an owner on the Billing page",
        "export": "section billing of the business export",
        "retention": RETENTION_RULE,
    },
]
NOT_PERSONAL: list[dict[str, Any]] = [
    {"model": "billing.Plan", "fields": ["name"], "reason": "a plan's name"},
    {
        "model": "billing.Invoice",
        "fields": ["failure_message"],
        "reason": "the processor's decline message (no card data, no person)",
    },
]


def billing_records_anonymise(*, now: datetime, dry_run: bool = False) -> dict:
    """The retention rule: anonymise the billed-to part of invoices past the legal period,
    and the billing email of businesses whose data was purged."""
    cutoff = now - timedelta(days=round(365.25 * settings.BILLING_RETENTION_YEARS))
    invoices = Invoice.objects.filter(issued_at__lt=cutoff).exclude(billed_to_name=ANONYMISED)
    accounts = BillingAccount.objects.filter(business__data_purged_at__isnull=False).exclude(
        billing_email=""
    )
    counts = {"invoices": invoices.count(), "billing_emails": accounts.count()}
    if not dry_run:
        with transaction.atomic():
            invoices.update(billed_to_name=ANONYMISED, billed_to_email="")
            accounts.update(billing_email="")
    return counts


def business_export_section(business: Business) -> dict:
    """The business's billing in its data export: account, invoices with lines, credit
    notes (amounts in cents with their currency)."""
    account = BillingAccount.objects.filter(business=business).select_related("plan").first()
    invoices = Invoice.objects.filter(business=business).order_by("period_start")
    lines: dict[int, list] = {}
    for line in InvoiceLine.objects.filter(business=business).order_by("invoice_id", "position"):
        lines.setdefault(line.invoice_id, []).append(
            {
                "kind": line.kind,
                "description": line.description,
                "quantity": line.quantity,
                "included": line.included,
                "amount_cents": line.amount_cents,
            }
        )
    notes = CreditNote.objects.filter(business=business).select_related("invoice")
    return {
        "account": None
        if account is None
        else {
            "plan": account.plan.slug,
            "currency": account.currency,
            "billing_email": account.billing_email,
            "standing": account.standing,
            "monthly_cap_cents": account.monthly_cap_cents,
            "card_on_file": bool(account.processor_payment_method_id),
        },
        "invoices": [
            {
                "number": i.number,
                "period": f"{i.period_start:%Y-%m}",
                "status": i.status,
                "currency": i.currency,
                "total_cents": i.total_cents,
                "total": money.format_cents(i.total_cents, i.currency),
                "credited_cents": i.credited_cents,
                "refunded_cents": i.refunded_cents,
                "billed_to_name": i.billed_to_name,
                "billed_to_email": i.billed_to_email,
                "issued_at": i.issued_at.isoformat(),
                "paid_at": i.paid_at.isoformat() if i.paid_at else None,
                "lines": lines.get(i.pk, []),
            }
            for i in invoices
        ],
        "credit_notes": [
            {
                "number": n.number,
                "invoice": n.invoice.number,
                "amount_cents": n.amount_cents,
                "reason": n.reason,
                "issued_at": n.issued_at.isoformat(),
            }
            for n in notes
        ],
    }


def user_export_section(user: User) -> dict:
    """A person's own export: the invoices billed to their email address (the billed-to
    part is theirs; the businesses' full billing is in each business's export)."""
    invoices = Invoice.objects.filter(billed_to_email__iexact=user.email).select_related("business")
    return {
        "invoices_billed_to_you": [
            {
                "business": i.business.display_name,
                "number": i.number,
                "period": f"{i.period_start:%Y-%m}",
                "total_cents": i.total_cents,
                "currency": i.currency,
                "billed_to_name": i.billed_to_name,
                "billed_to_email": i.billed_to_email,
                "status": i.status,
            }
            for i in invoices.order_by("period_start", "id")
        ]
    }
