"""No card number in any table or log: the card is typed on the processor's hosted page;
our servers see its customer and payment-method ids only. The whole flow runs (card saved,
invoice charged, paid by webhook, a second card on the pay-now page), every log record of
this process is captured at DEBUG, and then every text column of every table is searched."""

import logging

import pytest
from django.db import connection
from django.utils import timezone

from accounts.billing import money, services
from accounts.billing.models import BillingAccount, Invoice

from .conftest import pay_on_hosted_page

pytestmark = pytest.mark.django_db(transaction=True)

CARDS = ("4242424242424242", "4000000000000341", "5555555555554444")


def _forms(number: str) -> list[str]:
    return [number, " ".join(number[i : i + 4] for i in range(0, 16, 4)), number[:6] + number[6:]]


def _text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name FROM information_schema.columns
               WHERE table_schema = 'public'
                 AND data_type IN ('text', 'character varying', 'jsonb', 'json')"""
        )
        return cursor.fetchall()


def _rows_with(text: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE %s',  # noqa: S608
                [f"%{text}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_no_card_number_in_any_table_or_log(business, owner, processor, live_server, caplog):
    caplog.set_level(logging.DEBUG)
    processor.control(webhook_url=f"{live_server.url}/webhooks/processor/")
    # a card that is declined later, then a good one on the invoice's pay-now page
    url = services.card_setup_start(business=business, return_url=f"{live_server.url}/app/")
    pay_on_hosted_page(url, "4000 0000 0000 0341")
    processor.wait_delivered()
    period = money.previous_period(money.period_of(timezone.now()))
    invoice = services.invoice_close(business=business, period=period)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.FAILED
    pay = services.invoice_checkout_start(invoice=invoice, return_url=f"{live_server.url}/app/")
    pay_on_hosted_page(pay, "4242 4242 4242 4242")
    url = services.card_setup_start(business=business, return_url=f"{live_server.url}/app/")
    pay_on_hosted_page(url, "5555555555554444")
    processor.wait_delivered()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    account = BillingAccount.objects.get(business=business)
    assert account.processor_payment_method_id.startswith("pm_")

    assert _text_columns(), "the search must have columns to look at"
    for number in CARDS:
        for form in _forms(number):
            assert _rows_with(form) == [], form
            assert form not in caplog.text
            assert form not in processor.log.read_text()
    # what we keep instead: the processor's ids
    assert account.processor_customer_id.startswith("cus_")
    assert _rows_with(account.processor_payment_method_id) == [
        "billing_billingaccount.processor_payment_method_id"
    ]
