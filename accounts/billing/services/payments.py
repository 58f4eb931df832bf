"""Payments through the processor, its webhooks, and dunning.

- **Card on file**: ``card_setup_start`` makes (once) the processor's customer and a
  Checkout Session in setup mode; the owner enters the card on the processor's hosted page.
  Its ``checkout.session.completed`` webhook gives us the SetupIntent, whose payment
  method id is all we keep.
- **Charging**: ``invoice_charge`` creates a PaymentIntent for the invoice's balance,
  off-session, on the card on file, with an idempotency key per attempt. The invoice moves
  only on the webhooks: ``payment_intent.succeeded`` → PAID, ``payment_intent.payment_failed``
  → FAILED (dunning), ``charge.refunded`` → refunded.
- **Paying by hand**: ``invoice_checkout_start`` opens a Checkout Session in payment mode
  for an unpaid invoice (a new card, or authentication the bank asks for).
- **Dunning**: a failed invoice is retried after ``BILLING_RETRY_DAYS`` and the owners are
  emailed each time; once the account has been past due for ``BILLING_GRACE_PERIOD`` it is
  paused (sending refused with 402, nothing deleted); paying resumes it at once.

Webhooks are verified with the stripe library's signature check and handled once per
event id (``ProcessorEvent``).
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Business, User
from accounts.services import audit_record

from .. import money, processor
from ..errors import BadSignature, Conflict, ProcessorError
from ..models import BillingAccount, CreditNote, Invoice, ProcessorEvent
from .invoices import (
    billing_recipients,
    invoice_email,
    invoice_settle,
    owner_emails,
)
from .usage import account_get_or_create, forget_standing

T = TypeVar("T")

log = logging.getLogger(__name__)
S = Invoice.Status
STANDING = BillingAccount.Standing


def _params(params: dict[str, Any]) -> Any:
    """Our request parameters as the library's typed dicts (checked by the library at run
    time; the stand-in and Stripe answer a wrong one with a 400)."""
    return params


def _customer(account: BillingAccount, *, gone: str = "") -> str:
    """The processor's customer of this account, made once (idempotent per account); made
    again when the processor no longer has ``gone``, the one we kept."""
    if gone:
        BillingAccount.objects.filter(pk=account.pk, processor_customer_id=gone).update(
            processor_customer_id="", processor_payment_method_id="", updated_at=timezone.now()
        )
        account.refresh_from_db()
    if account.processor_customer_id:
        return account.processor_customer_id
    business = account.business
    customer = processor.client().v1.customers.create(
        params=_params(
            {
                "name": business.legal_name or business.display_name,
                "email": (billing_recipients(account) or [""])[0] or None,
                "metadata": {"business": str(business.uuid)},
            }
        ),
        options={
            "idempotency_key": f"customer-{business.uuid}" + (f"-after-{gone}" if gone else "")
        },
    )
    BillingAccount.objects.filter(pk=account.pk, processor_customer_id="").update(
        processor_customer_id=customer.id, updated_at=timezone.now()
    )
    account.refresh_from_db()
    return account.processor_customer_id


def _missing(exc: Exception, what: str) -> bool:
    """The processor answered that it has no such ``what`` ("customer", "paymentmethod"):
    deleted in its dashboard, or forgotten by the simulated one of a restarted make run."""
    return isinstance(exc, processor.stripe.InvalidRequestError) and (
        f"no such {what}" in str(exc.user_message or exc).lower()
    )


def _as_customer(account: BillingAccount, call: Callable[[str], T]) -> T:
    """``call`` with the account's customer; when the processor no longer has it, once
    more with a new one."""
    customer = _customer(account)
    try:
        return call(customer)
    except processor.stripe.InvalidRequestError as exc:
        if not _missing(exc, "customer"):
            raise
        log.warning("the processor has no customer %s: making a new one", customer)
        return call(_customer(account, gone=customer))


def card_setup_start(*, business: Business, return_url: str) -> str:
    """The processor's hosted page where the owner enters a card; returns its URL."""
    account = account_get_or_create(business=business)

    def create(customer: str):
        return processor.client().v1.checkout.sessions.create(
            params=_params(
                {
                    "mode": "setup",
                    "customer": customer,
                    "currency": account.currency.lower(),
                    "payment_method_types": ["card"],
                    "success_url": f"{return_url}?card=done",
                    "cancel_url": f"{return_url}?card=cancelled",
                    "metadata": {"business": str(business.uuid), "purpose": "card_setup"},
                }
            )
        )

    try:
        session = _as_customer(account, create)
    except processor.stripe.StripeError as exc:
        log.warning("checkout session failed: %s", type(exc).__name__)
        raise ProcessorError() from exc
    assert session.url
    return session.url


def invoice_checkout_start(*, invoice: Invoice, return_url: str) -> str:
    """A hosted payment page for an unpaid invoice's balance; returns its URL. The card
    used is kept for the next invoices (``setup_future_usage``)."""
    if invoice.status not in (S.ISSUED, S.FAILED) or invoice.balance_cents <= 0:
        raise Conflict("This invoice has nothing left to pay.")
    account = account_get_or_create(business=invoice.business)

    def create(customer: str):
        return processor.client().v1.checkout.sessions.create(
            params=_params(
                {
                    "mode": "payment",
                    "customer": customer,
                    "payment_method_types": ["card"],
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": invoice.currency.lower(),
                                "unit_amount": invoice.balance_cents,
                                "product_data": {"name": f"Invoice {invoice.number}"},
                            },
                        }
                    ],
                    "payment_intent_data": {
                        "setup_future_usage": "off_session",
                        "metadata": {"invoice": str(invoice.uuid)},
                    },
                    "success_url": f"{return_url}?paid=done",
                    "cancel_url": f"{return_url}?paid=cancelled",
                    "metadata": {"invoice": str(invoice.uuid), "purpose": "invoice"},
                }
            )
        )

    try:
        session = _as_customer(account, create)
    except processor.stripe.StripeError as exc:
        log.warning("checkout session failed: %s", type(exc).__name__)
        raise ProcessorError() from exc
    assert session.url
    return session.url


def invoice_charge(*, invoice: Invoice, now: datetime | None = None) -> Invoice:
    """Charge an issued or failed invoice's balance to the card on file (off-session).
    Nothing to charge settles it at once; no card on file fails it (dunning emails the
    owner). The outcome arrives by webhook; a decline the API answers at once is recorded
    now too (the webhook that follows finds it done)."""
    now = now or timezone.now()
    invoice.refresh_from_db()
    if invoice.status not in (S.ISSUED, S.FAILED):
        return invoice
    if invoice.balance_cents <= 0:
        with transaction.atomic():
            invoice_settle(invoice=invoice, now=now, how="nothing to charge")
        invoice.refresh_from_db()
        return invoice
    account = account_get_or_create(business=invoice.business)
    if not account.processor_payment_method_id:
        invoice_fail(
            invoice=invoice,
            code="no_payment_method",
            message="No card on file: add one on the Billing page.",
            now=now,
        )
        invoice.refresh_from_db()
        return invoice
    attempt = invoice.attempts + 1
    Invoice.objects.filter(pk=invoice.pk).update(attempts=attempt, next_attempt_at=None)
    try:
        intent = processor.client().v1.payment_intents.create(
            params=_params(
                {
                    "amount": invoice.balance_cents,
                    "currency": invoice.currency.lower(),
                    "customer": _customer(account),
                    "payment_method": account.processor_payment_method_id,
                    "off_session": True,
                    "confirm": True,
                    "description": f"Invoice {invoice.number}",
                    "metadata": {"invoice": str(invoice.uuid), "attempt": str(attempt)},
                }
            ),
            options={"idempotency_key": f"invoice-{invoice.uuid}-{attempt}"},
        )
    except processor.CardError as exc:
        declined = exc.error.payment_intent if exc.error else None
        intent_id = declined.id if declined is not None else ""
        invoice_fail(
            invoice=invoice,
            code=(exc.code or "card_declined"),
            message=exc.user_message or "The card was declined.",
            now=now,
            intent_id=intent_id,
        )
    except processor.stripe.StripeError as exc:
        if _missing(exc, "paymentmethod") or _missing(exc, "customer"):
            # the card we kept is gone from the processor: retrying it would fail for good
            log.warning("the processor no longer has the card of %s: dropped", invoice.number)
            BillingAccount.objects.filter(
                pk=account.pk, processor_payment_method_id=account.processor_payment_method_id
            ).update(processor_payment_method_id="", updated_at=timezone.now())
            invoice_fail(
                invoice=invoice,
                code="payment_method_gone",
                message="Our payment processor no longer has the card on file: add it again "
                "on the Billing page.",
                now=now,
            )
        else:
            log.warning("charge of %s failed: %s", invoice.number, type(exc).__name__)
            invoice_fail(
                invoice=invoice,
                code="processor_error",
                message="The payment processor could not be reached; we will try again.",
                now=now,
            )
    else:
        Invoice.objects.filter(pk=invoice.pk).update(processor_payment_intent_id=intent.id)
    invoice.refresh_from_db()
    return invoice


def _retry_delay(attempt: int) -> timedelta | None:
    """The wait before retry ``attempt`` + 1 (BILLING_RETRY_DAYS, e.g. 1,3,5), None when
    the schedule is spent."""
    schedule = settings.BILLING_RETRY_DAYS
    if attempt > len(schedule):
        return None
    return timedelta(days=float(schedule[attempt - 1]))


def invoice_fail(
    *, invoice: Invoice, code: str, message: str, now: datetime, intent_id: str = ""
) -> None:
    """A payment attempt failed: FAILED, the next retry scheduled, the account past due
    (the grace period starts with its first failure), the owners emailed."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in (S.ISSUED, S.FAILED):
            return  # paid meanwhile (a webhook crossed our answer)
        if (
            locked.status == S.FAILED
            and intent_id
            and locked.processor_payment_intent_id == intent_id
        ):
            return  # the webhook of a decline the API already answered: recorded once
        delay = _retry_delay(max(locked.attempts, 1))
        Invoice.objects.filter(pk=locked.pk).update(
            status=S.FAILED,
            failure_code=code[:60],
            failure_message=message[:300],
            next_attempt_at=(now + delay) if delay else None,
            **({"processor_payment_intent_id": intent_id} if intent_id else {}),
        )
        BillingAccount.objects.filter(business=locked.business, standing=STANDING.ACTIVE).update(
            standing=STANDING.PAST_DUE, past_due_since=now, updated_at=now
        )
        audit_record(
            action="billing.invoice.payment_failed",
            obj=locked,
            business=locked.business,
            detail={"number": locked.number, "code": code, "attempt": locked.attempts},
        )
        business_id, invoice_id = locked.business_id, locked.pk
        transaction.on_commit(lambda: _dunning_email(business_id, invoice_id))


def _dunning_email(business_id: int, invoice_id: int) -> None:
    invoice = Invoice.objects.select_related("business").get(pk=invoice_id)
    account = BillingAccount.objects.get(business_id=business_id)
    to = sorted(set(owner_emails(invoice.business)) | set(billing_recipients(account)))
    if not to:
        return
    grace_ends = (account.past_due_since or timezone.now()) + settings.BILLING_GRACE_PERIOD
    send_mail(
        subject=f"Payment of invoice {invoice.number} failed",
        message=render_to_string(
            "billing/email/payment_failed.txt",
            {
                "invoice": invoice,
                "account": account,
                "grace_ends": grace_ends,
                "balance": money.format_cents(invoice.balance_cents, invoice.currency),
                "site_url": settings.SITE_URL,
            },
        ),
        from_email=None,
        recipient_list=to,
    )


def dunning_run(*, now: datetime | None = None) -> dict:
    """The beat task's body: retry failed invoices that are due, pause accounts whose
    grace period is over."""
    now = now or timezone.now()
    retried = 0
    for invoice in Invoice.objects.filter(status=S.FAILED, next_attempt_at__lte=now)[:500]:
        invoice_charge(invoice=invoice, now=now)
        retried += 1
    paused = 0
    for account in BillingAccount.objects.select_related("business").filter(
        standing=STANDING.PAST_DUE, past_due_since__lte=now - settings.BILLING_GRACE_PERIOD
    ):
        paused += account_pause(account=account, now=now)
    return {"retried": retried, "paused": paused}


def account_pause(*, account: BillingAccount, now: datetime) -> int:
    """Pause sending for non-payment, with a reason every page shows (nothing deleted)."""
    unpaid = list(
        Invoice.objects.filter(business_id=account.business_id, status=S.FAILED).order_by(
            "period_start"
        )
    )
    if not unpaid:
        return 0
    first = unpaid[0]
    owed = sum(i.balance_cents for i in unpaid)
    reason = (
        f"invoice {first.number} ({money.format_cents(owed, account.currency)} in all) is unpaid "
        f"since {account.past_due_since or now:%Y-%m-%d}."
    )
    with transaction.atomic():
        changed = BillingAccount.objects.filter(pk=account.pk, standing=STANDING.PAST_DUE).update(
            standing=STANDING.PAUSED, paused_at=now, pause_reason=reason, updated_at=now
        )
        if changed:
            forget_standing(account.business_id)
            audit_record(
                action="billing.account.paused",
                obj=account,
                business=account.business,
                detail={"reason": reason},
            )
    return changed


def refund_credit_note(*, note: CreditNote) -> CreditNote:
    """Refund a credit note of a paid invoice through the processor (idempotent per note)."""
    invoice = note.invoice
    if note.processor_refund_id or not invoice.processor_payment_intent_id:
        return note
    try:
        refund = processor.client().v1.refunds.create(
            params=_params(
                {
                    "payment_intent": invoice.processor_payment_intent_id,
                    "amount": note.amount_cents,
                    "metadata": {"credit_note": str(note.uuid), "invoice": str(invoice.uuid)},
                }
            ),
            options={"idempotency_key": f"refund-{note.uuid}"},
        )
    except processor.stripe.StripeError as exc:
        raise ProcessorError() from exc
    CreditNote.objects.filter(pk=note.pk).update(processor_refund_id=refund.id)
    note.refresh_from_db()
    return note


# --- webhooks ---------------------------------------------------------------------------------


def webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify and apply one processor webhook; returns what was done. Raises
    ``BadSignature`` for a bad signature or payload (the view answers 403)."""
    try:
        event = processor.event_from_webhook(payload=payload, signature=signature)
    except (processor.stripe.SignatureVerificationError, ValueError) as exc:
        raise BadSignature() from exc
    obj = event.data.object.to_dict()  # plain dicts from here (the library's objects are not)
    try:
        with transaction.atomic():
            ProcessorEvent.objects.create(
                event_id=event.id, type=event.type, object_id=str(obj.get("id", ""))[:80]
            )
            return _apply(event.type, obj)
    except IntegrityError:
        return "duplicate"


def _invoice_of(obj) -> Invoice | None:
    uuid = (obj.get("metadata") or {}).get("invoice")
    if not uuid:
        return None
    return Invoice.objects.select_related("business").filter(uuid=uuid).first()


def _apply(event_type: str, obj) -> str:
    now = timezone.now()
    if event_type == "checkout.session.completed":
        return _checkout_completed(obj, now)
    if event_type == "payment_intent.succeeded":
        invoice = _invoice_of(obj)
        if invoice is None:
            return "ignored"
        settled = invoice_settle(invoice=invoice, now=now, how="card", intent_id=obj["id"])
        _keep_card(invoice.business, obj.get("payment_method"), obj.get("setup_future_usage"))
        return "paid" if settled else "already paid"
    if event_type == "payment_intent.payment_failed":
        invoice = _invoice_of(obj)
        if invoice is None:
            return "ignored"
        error = obj.get("last_payment_error") or {}
        invoice_fail(
            invoice=invoice,
            code=error.get("code") or error.get("decline_code") or "payment_failed",
            message=error.get("message") or "The payment failed.",
            now=now,
            intent_id=obj["id"],
        )
        return "failed"
    if event_type == "charge.refunded":
        invoice = _invoice_of(obj)
        if invoice is None:
            return "ignored"
        refunded = int(obj.get("amount_refunded") or 0)
        Invoice.objects.filter(pk=invoice.pk).update(refunded_cents=refunded)
        if refunded >= invoice.total_cents:
            Invoice.objects.filter(pk=invoice.pk, status=S.PAID).update(status=S.REFUNDED)
        return "refunded"
    return "ignored"


def _checkout_completed(session, now: datetime) -> str:
    metadata = session.get("metadata") or {}
    if session.get("mode") == "setup":
        account = BillingAccount.objects.filter(
            processor_customer_id=session.get("customer") or "-"
        ).first()
        if account is None:
            return "ignored"
        setup = processor.client().v1.setup_intents.retrieve(session["setup_intent"])
        if setup.status != "succeeded" or not setup.payment_method:
            return "setup not finished"
        _keep_card(account.business, setup.payment_method, "off_session")
        # A card that works again: retry what failed now, not at the next scheduled retry.
        Invoice.objects.filter(business=account.business, status=S.FAILED).update(
            next_attempt_at=now
        )
        return "card saved"
    if metadata.get("purpose") == "invoice":
        return "awaiting payment_intent.succeeded"
    return "ignored"


def _keep_card(business: Business, payment_method, future_usage) -> None:
    if not payment_method or future_usage != "off_session":
        return
    pm_id = payment_method if isinstance(payment_method, str) else payment_method.get("id")
    BillingAccount.objects.filter(business=business).update(
        processor_payment_method_id=pm_id, updated_at=timezone.now()
    )


def card_remove(*, business: Business, actor: User | None) -> BillingAccount:
    """Forget the card on file (the processor keeps it on its customer; we keep no id)."""
    account = account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        processor_payment_method_id="", updated_at=timezone.now()
    )
    audit_record(action="billing.card.removed", obj=account, actor=actor, business=business)
    account.refresh_from_db()
    return account


def invoice_issued(*, invoice: Invoice) -> None:
    """After an invoice is issued: email it, then charge it."""
    invoice_email(invoice=invoice)
    invoice_charge(invoice=invoice)
