"""Invoices: closing a period, numbers without gaps, credit notes, the PDF and the email.

One invoice per business and period, issued with its number and lines in one transaction
(the number is taken under the series' row lock, so a rolled-back issue takes none and the
series has no gaps). Issued invoices are immutable (PostgreSQL refuses changes to their
amounts and number; lines and credit notes are append-only): a correction is a credit note.
Taxes are not computed here: they are left to the processor's tax settings (Stripe Tax on
the processor's side), and our invoice says so.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Business, Membership, User
from accounts.roles import Role
from accounts.services import audit_record

from .. import money
from ..errors import Conflict, ValidationFailed
from ..models import (
    BillingAccount,
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    UsageKind,
    UsageRecord,
)
from ..selectors import price_for
from .usage import (
    Usage,
    account_get_or_create,
    forget_standing,
    usage_record_many,
    usage_waive,
)

TAX_NOTE = (
    "Prices exclude taxes. Any sales tax or VAT is calculated by our payment processor "
    "under its tax settings and shown on its receipt."
)


def _next_number(series: str) -> str:
    """The next number of ``series``, taken under its row lock (call inside the issuing
    transaction: a rollback gives the number back)."""
    InvoiceSequence.objects.bulk_create([InvoiceSequence(series=series)], ignore_conflicts=True)
    seq = InvoiceSequence.objects.select_for_update().get(series=series)
    value = seq.next_value
    InvoiceSequence.objects.filter(pk=series).update(next_value=F("next_value") + 1)
    return f"{series}-{value:06d}"


@dataclass(frozen=True)
class Line:
    kind: str
    description: str
    quantity: int
    amount_cents: int
    included: int = 0
    unit_subcents: int | None = None


def lines_for(*, account: BillingAccount, period: date, records: list[UsageRecord]) -> list[Line]:
    """The lines of ``period``'s invoice from its usage records, priced by the version in
    force at the period's start: the plan fee, SMS segments beyond the included ones, MMS,
    numbers by the day, then the pass-through fees and fines at cost, each named."""
    price = price_for(plan=account.plan, period=period)
    totals: dict[str, int] = {}
    for r in records:
        totals[r.kind] = totals.get(r.kind, 0) + r.quantity
    lines = [
        Line(
            "PLAN_FEE",
            f"{account.plan.name} plan, {period:%B %Y}",
            1,
            price.monthly_fee_cents,
        )
    ]
    segments = totals.get(UsageKind.SMS_SEGMENT, 0)
    included = min(segments, price.included_segments)
    billable = segments - included
    lines.append(
        Line(
            UsageKind.SMS_SEGMENT,
            f"SMS segments: {segments:,} sent, {included:,} included in the plan",
            segments,
            money.line_amount(quantity=billable, unit_subcents=price.sms_segment_subcents),
            included,
            price.sms_segment_subcents,
        )
    )
    mms = totals.get(UsageKind.MMS, 0)
    if mms:
        lines.append(
            Line(
                UsageKind.MMS,
                f"MMS: {mms:,} sent",
                mms,
                money.line_amount(quantity=mms, unit_subcents=price.mms_subcents),
                0,
                price.mms_subcents,
            )
        )
    number_days = totals.get(UsageKind.NUMBER_DAY, 0)
    if number_days:
        lines.append(
            Line(
                UsageKind.NUMBER_DAY,
                f"Phone numbers: {number_days:,} number-days "
                f"({money.format_subcents(price.number_month_subcents, account.currency)} "
                "per number and month)",
                number_days,
                money.number_days_amount(
                    number_days=number_days,
                    month_subcents=price.number_month_subcents,
                    days_in_period=money.days_in(period),
                ),
                0,
                price.number_month_subcents,
            )
        )
    for r in records:
        if r.amount_cents is None:
            continue
        label = UsageKind(r.kind).label
        lines.append(
            Line(
                r.kind,
                f"{label}: {r.description}"[:200] if r.description else label,
                1,
                r.amount_cents,
            )
        )
    return lines


def invoice_close(*, business: Business, period: date, now: datetime | None = None) -> Invoice:
    """Close ``period`` for ``business``: issue its invoice (or return the one issued).
    Then, after commit: email it to the billing contact and charge it."""
    now = now or timezone.now()
    if period.day != 1:
        raise ValidationFailed(fields={"period": ["A period starts on the first of a month."]})
    if money.period_end(period) >= now.date():
        raise Conflict(f"The period {period:%Y-%m} has not ended yet.")
    account = account_get_or_create(business=business)
    with transaction.atomic():
        # One closer at a time per business (the account row is the lock).
        BillingAccount.objects.select_for_update().filter(pk=account.pk).first()
        existing = Invoice.objects.filter(business=business, period_start=period).first()
        if existing is not None:
            return existing
        records = list(
            UsageRecord.objects.select_for_update()
            .filter(business=business, period=period, invoice__isnull=True, waived_at__isnull=True)
            .order_by("occurred_at", "id")
        )
        lines = lines_for(account=account, period=period, records=records)
        invoice = Invoice.objects.create(
            business=business,
            number=_next_number("INV"),
            period_start=period,
            period_end=money.period_end(period),
            currency=account.currency,
            total_cents=sum(line.amount_cents for line in lines),
            billed_to_name=business.legal_name or business.display_name,
            billed_to_email=(billing_recipients(account) or [""])[0],
            issued_at=now,
        )
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    business=business,
                    invoice=invoice,
                    position=i,
                    kind=line.kind,
                    description=line.description[:200],
                    quantity=line.quantity,
                    included=line.included,
                    unit_subcents=line.unit_subcents,
                    amount_cents=line.amount_cents,
                )
                for i, line in enumerate(lines, start=1)
            ]
        )
        UsageRecord.objects.filter(pk__in=[r.pk for r in records]).update(invoice=invoice)
        invoice_id = invoice.pk
        transaction.on_commit(lambda: _after_issue(invoice_id))
    return invoice


def _after_issue(invoice_id: int) -> None:
    from ..tasks import invoice_issued  # not at the top: the tasks call these services

    invoice_issued.delay(invoice_id)


def billing_recipients(account: BillingAccount) -> list[str]:
    """The billing contact, else the business's owners and billing members."""
    if account.billing_email:
        return [account.billing_email]
    return list(
        Membership.objects.filter(
            business_id=account.business_id, role__in=[Role.OWNER, Role.BILLING]
        )
        .order_by("role", "id")
        .values_list("user__email", flat=True)
    )


def owner_emails(business: Business) -> list[str]:
    return list(
        Membership.objects.filter(business=business, role=Role.OWNER).values_list(
            "user__email", flat=True
        )
    )


def invoice_pdf(*, invoice: Invoice) -> bytes:
    """The invoice as PDF (WeasyPrint, from templates/billing/invoice_pdf.html; system
    fonts only, nothing fetched)."""
    from ..pdf import render_pdf  # WeasyPrint loads pango on import: only when a PDF is made

    return render_pdf("billing/invoice_pdf.html", invoice_context(invoice))


def invoice_context(invoice: Invoice) -> dict:
    lines = list(invoice.lines.all())
    notes = list(invoice.credit_notes.all())
    return {
        "invoice": invoice,
        "lines": lines,
        "credit_notes": notes,
        "tax_note": TAX_NOTE,
        "business": invoice.business,
    }


def invoice_email(*, invoice: Invoice) -> None:
    """Email the invoice, PDF attached, to the billing contact."""
    account = account_get_or_create(business=invoice.business)
    to = billing_recipients(account)
    if not to:
        return
    body = render_to_string(
        "billing/email/invoice.txt",
        {**invoice_context(invoice), "site_url": settings.SITE_URL},
    )
    mail = EmailMessage(
        subject=f"Invoice {invoice.number} for {invoice.period_start:%B %Y}",
        body=body,
        to=to,
    )
    mail.attach(f"{invoice.number}.pdf", invoice_pdf(invoice=invoice), "application/pdf")
    mail.send()


def credit_note_issue(
    *, invoice: Invoice, amount_cents: int, reason: str, actor: User | None
) -> CreditNote:
    """Correct an issued invoice by ``amount_cents`` with a reason (audited). Unpaid: the
    balance charged shrinks (to nothing: the invoice is settled). Paid: the amount is
    refunded through the processor (payments.refund_credit_note, after commit)."""
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = ["Say why: the business reads it on the credit note."]
    if amount_cents <= 0:
        errors["amount"] = ["The amount must be more than zero."]
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        room = locked.total_cents - locked.credited_cents - locked.refunded_cents
        if amount_cents > room:
            raise ValidationFailed(
                fields={"amount": [f"At most {money.format_cents(max(room, 0), locked.currency)}."]}
            )
        note = CreditNote.objects.create(
            business=locked.business,
            invoice=locked,
            number=_next_number("CN"),
            amount_cents=amount_cents,
            reason=reason[:300],
            issued_by=actor,
        )
        Invoice.objects.filter(pk=locked.pk).update(
            credited_cents=F("credited_cents") + amount_cents
        )
        audit_record(
            action="billing.credit_note.issue",
            obj=note,
            actor=actor,
            business=locked.business,
            detail={"invoice": locked.number, "amount_cents": amount_cents, "reason": reason},
        )
        settled = (
            locked.status in (Invoice.Status.ISSUED, Invoice.Status.FAILED)
            and locked.total_cents - locked.credited_cents - amount_cents <= 0
        )
        if settled:
            invoice_settle(invoice=locked, now=timezone.now(), how="credit")
        if locked.status == Invoice.Status.PAID:
            note_id = note.pk
            transaction.on_commit(lambda: _refund_later(note_id))
    note.refresh_from_db()
    return note


def invoice_settle(*, invoice: Invoice, now: datetime, how: str, intent_id: str = "") -> bool:
    """Mark an invoice paid (call inside a transaction); resume the account at once when
    nothing overdue is left. Returns False when it was already settled."""
    changed = Invoice.objects.filter(
        pk=invoice.pk, status__in=[Invoice.Status.ISSUED, Invoice.Status.FAILED]
    ).update(
        status=Invoice.Status.PAID,
        paid_at=now,
        next_attempt_at=None,
        failure_code="",
        failure_message="",
        **({"processor_payment_intent_id": intent_id} if intent_id else {}),
    )
    if not changed:
        return False
    audit_record(
        action="billing.invoice.paid",
        obj=invoice,
        business=invoice.business,
        detail={"number": invoice.number, "how": how},
    )
    account_resume_if_settled(business=invoice.business, now=now)
    return True


def account_resume_if_settled(*, business: Business, now: datetime) -> bool:
    """Back to ACTIVE, at once, when no failed invoice is left."""
    if Invoice.objects.filter(business=business, status=Invoice.Status.FAILED).exists():
        return False
    resumed = BillingAccount.objects.filter(
        business=business,
        standing__in=[BillingAccount.Standing.PAST_DUE, BillingAccount.Standing.PAUSED],
    ).update(
        standing=BillingAccount.Standing.ACTIVE,
        past_due_since=None,
        paused_at=None,
        pause_reason="",
        updated_at=now,
    )
    if resumed:
        forget_standing(business.pk)
        audit_record(action="billing.account.resumed", business=business, detail={})
    return bool(resumed)


def _refund_later(note_id: int) -> None:
    from ..tasks import credit_note_refund  # not at the top: the tasks call these services

    credit_note_refund.delay(note_id)


def fine_waive(*, record: UsageRecord, reason: str, actor: User | None) -> UsageRecord | CreditNote:
    """Staff waive a carrier fine: not invoiced yet, it is left off the invoice; already
    invoiced, a credit note of its amount corrects that invoice."""
    record.refresh_from_db()  # invoiced or waived since it was read?
    if record.kind != UsageKind.CARRIER_FINE:
        raise ValidationFailed(fields={"record": ["Only a carrier fine can be waived."]})
    if record.waived_at is not None:
        raise Conflict("This fine is already waived.")
    if record.invoice_id is None:
        return usage_waive(record=record, reason=reason, actor=actor)
    assert record.invoice is not None and record.amount_cents is not None
    return credit_note_issue(
        invoice=record.invoice,
        amount_cents=record.amount_cents,
        reason=f"Carrier fine waived ({record.description or record.source_key}): {reason}",
        actor=actor,
    )


def fine_credit(
    *, record: UsageRecord, amount_cents: int, reason: str, actor: User | None
) -> UsageRecord | CreditNote:
    """A carrier's credit against a fine it charged (policies' ledger): the whole fine not
    yet invoiced is waived; an invoiced one is corrected by a credit note; a part of one not
    yet invoiced is a negative pass-through line on the coming invoice."""
    if record.invoice_id is not None:
        assert record.invoice is not None
        room = record.invoice.total_cents - record.invoice.credited_cents
        return credit_note_issue(
            invoice=record.invoice,
            amount_cents=min(amount_cents, room),
            reason=f"Carrier credit for a fine ({record.description}): {reason}",
            actor=actor,
        )
    if record.waived_at is None and amount_cents >= (record.amount_cents or 0):
        return usage_waive(record=record, reason=reason, actor=actor)
    usage = Usage(
        f"{record.source_key}:credit:{timezone.now().timestamp()}",
        UsageKind.CARRIER_FINE,
        timezone.now(),
        1,
        -amount_cents,
        f"credit of {record.description}"[:200],
    )
    usage_record_many(business_id=record.business_id, items=[usage])
    return record


def periods_close(*, now: datetime | None = None) -> int:
    """Close the last period for every account that has none yet (beat, daily: the first
    run of a month issues last month's invoices; later runs find them issued)."""
    now = now or timezone.now()
    period = money.previous_period(money.period_of(now))
    closed = 0
    for account in BillingAccount.objects.select_related("business").filter(
        created_at__date__lte=money.period_end(period)
    ):
        if not Invoice.objects.filter(
            business_id=account.business_id, period_start=period
        ).exists():
            invoice_close(business=account.business, period=period, now=now)
            closed += 1
    return closed
