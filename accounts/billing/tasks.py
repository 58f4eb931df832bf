"""Billing's Celery tasks: thin, they load and call services."""

from celery import shared_task

from . import services
from .models import CreditNote, Invoice


@shared_task
def invoice_issued(invoice_id: int) -> None:
    """Email a newly issued invoice and charge it."""
    services.invoice_issued(invoice=Invoice.objects.select_related("business").get(pk=invoice_id))


@shared_task
def credit_note_refund(note_id: int) -> None:
    services.refund_credit_note(note=CreditNote.objects.select_related("invoice").get(pk=note_id))


@shared_task
def billing_periods_close() -> int:
    """Daily: issue last month's invoices that are not issued yet."""
    return services.periods_close()


@shared_task
def billing_dunning_run() -> dict:
    """Retry failed payments that are due; pause accounts past the grace period."""
    return services.dunning_run()
