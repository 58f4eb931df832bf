"""Payments through the official stripe library against the simulated processor (a real
process over HTTP), its signed webhooks delivered to the live server: card on file, charge
paid by webhook, decline → grace → pause → pay → resume, authentication, refunds, and the
webhook's signature check and idempotency."""

import json
import time
from datetime import timedelta

import pytest
import requests
from django.core import mail
from django.utils import timezone

from accounts.billing import money, selectors, services
from accounts.billing.models import BillingAccount, Invoice, ProcessorEvent
from devtools.processor import sign
from tests.conftest import make_api_client

from .conftest import WEBHOOK_SECRET, pay_on_hosted_page

pytestmark = pytest.mark.django_db(transaction=True)
S = Invoice.Status


@pytest.fixture
def wired(processor, live_server):
    processor.control(webhook_url=f"{live_server.url}/webhooks/processor/")
    return processor


def _card(business, number, live_server, processor, authenticate=None):
    url = services.card_setup_start(business=business, return_url=f"{live_server.url}/app/billing/")
    assert url.startswith(processor.url + "/checkout/")
    response = pay_on_hosted_page(url, number, authenticate=authenticate)
    processor.wait_delivered()
    return response


def _last_month_invoice(business):
    period = money.previous_period(money.period_of(timezone.now()))
    return services.invoice_close(business=business, period=period)


def _wait_status(invoice, status, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        invoice.refresh_from_db()
        if invoice.status == status:
            return invoice
        time.sleep(0.1)
    raise AssertionError(f"{invoice.number} is {invoice.status}, not {status}")


def test_card_on_file_then_the_invoice_is_paid_by_the_webhook(business, owner, wired, live_server):
    response = _card(business, "4242 4242 4242 4242", live_server, wired)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{live_server.url}/app/billing/?card=done"
    account = BillingAccount.objects.get(business=business)
    assert account.processor_customer_id.startswith("cus_")
    assert account.processor_payment_method_id.startswith("pm_")

    invoice = _last_month_invoice(business)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    # the API answered, but only the webhook marks it paid
    wired.wait_delivered()
    invoice = _wait_status(invoice, S.PAID)
    assert invoice.processor_payment_intent_id.startswith("pi_")
    assert ProcessorEvent.objects.filter(type="payment_intent.succeeded").count() == 1

    # a credit note on a paid invoice is refunded through the processor
    note = services.credit_note_issue(
        invoice=invoice, amount_cents=invoice.total_cents, reason="Goodwill", actor=None
    )
    services.refund_credit_note(note=note)
    note.refresh_from_db()
    assert note.processor_refund_id.startswith("re_")
    wired.wait_delivered()
    invoice = _wait_status(invoice, S.REFUNDED)
    assert invoice.refunded_cents == invoice.total_cents


def test_a_declined_card_leads_to_grace_then_pause_and_paying_resumes(
    business, owner, wired, live_server
):
    # saved fine, but every charge is declined (Stripe's 4000 0000 0000 0341)
    _card(business, "4000000000000341", live_server, wired)
    invoice = _last_month_invoice(business)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == S.FAILED and invoice.failure_code == "card_declined"
    wired.wait_delivered()  # payment_intent.payment_failed: recorded once, emailed once
    account = BillingAccount.objects.get(business=business)
    assert account.standing == BillingAccount.Standing.PAST_DUE
    failed_mails = [m for m in mail.outbox if "failed" in m.subject]
    assert len(failed_mails) == 1 and owner.user.email in failed_mails[0].to
    assert "paused" in failed_mails[0].body

    # inside the grace period sending goes on, with a warning on every page
    assert selectors.send_refusal(business=business) is None
    assert selectors.notice_for(business=business)["level"] == "warn"

    # the grace period ends: retried (declined again, owner emailed), then paused
    later = timezone.now() + timedelta(days=7, minutes=1)
    result = services.dunning_run(now=later)
    assert result == {"retried": 1, "paused": 1}
    account.refresh_from_db()
    assert account.standing == BillingAccount.Standing.PAUSED
    assert invoice.number in account.pause_reason
    refusal = selectors.send_refusal(business=business)
    assert refusal is not None and refusal.status_code == 402

    # the API says so, in the one error shape
    api = make_api_client(owner)
    response = api.post(
        "/api/v1/messages/",
        {"to": "+13125550101", "kind": "transactional", "body": "Your visit is at 3pm."},
        format="json",
    )
    assert response.status_code == 402, response.content
    assert response.json()["error"]["code"] == "billing_paused"
    assert "Billing page" in response.json()["error"]["message"]

    # paying on the hosted page with a good card resumes at once
    url = services.invoice_checkout_start(
        invoice=invoice, return_url=f"{live_server.url}/app/billing/"
    )
    response = pay_on_hosted_page(url, "4242424242424242")
    assert response.status_code == 302
    wired.wait_delivered()
    _wait_status(invoice, S.PAID)
    account.refresh_from_db()
    assert account.standing == BillingAccount.Standing.ACTIVE and account.pause_reason == ""
    assert selectors.send_refusal(business=business) is None
    # the card used is kept for the next invoices
    assert account.processor_payment_method_id.startswith("pm_")


def test_authentication_required(business, owner, wired, live_server):
    # the bank asks on the card page: failing it saves nothing
    response = _card(business, "4000002760003184", live_server, wired, authenticate="fail")
    assert response.status_code == 402 and "unable to authenticate" in response.text
    assert not BillingAccount.objects.get(business=business).processor_payment_method_id
    # completing it saves the card, but an off-session charge needs the customer again
    _card(business, "4000002760003184", live_server, wired, authenticate="complete")
    invoice = _last_month_invoice(business)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == S.FAILED and invoice.failure_code == "authentication_required"
    # the owner pays on the hosted page and authenticates there
    url = services.invoice_checkout_start(invoice=invoice, return_url=f"{live_server.url}/x/")
    pay_on_hosted_page(url, "4000002500003155", authenticate="complete")
    wired.wait_delivered()
    _wait_status(invoice, S.PAID)


def test_a_card_declined_on_the_page_saves_nothing(business, owner, wired, live_server):
    response = _card(business, "4000000000000002", live_server, wired)
    assert response.status_code == 402 and "declined" in response.text
    response = _card(business, "1234567812345678", live_server, wired)
    assert "incorrect" in response.text
    assert not BillingAccount.objects.get(business=business).processor_payment_method_id
    # no card on file: the invoice fails and the owner is told to add one
    invoice = _last_month_invoice(business)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == S.FAILED and invoice.failure_code == "no_payment_method"


def test_webhooks_are_verified_and_handled_once(business, live_server, processor):
    url = f"{live_server.url}/webhooks/processor/"
    event = {
        "id": "evt_test_1",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_x", "object": "payment_intent", "metadata": {}}},
    }
    payload = json.dumps(event).encode()
    now = int(time.time())
    bad = requests.post(
        url,
        data=payload,
        headers={"Stripe-Signature": sign("whsec_wrong", payload, now)},
        timeout=10,
    )
    assert bad.status_code == 403 and bad.json()["error"]["code"] == "bad_signature"
    unsigned = requests.post(url, data=payload, timeout=10)
    assert unsigned.status_code == 403
    stale = requests.post(
        url,
        data=payload,
        headers={"Stripe-Signature": sign(WEBHOOK_SECRET, payload, now - 3600)},
        timeout=10,
    )
    assert stale.status_code == 403  # outside the library's five-minute tolerance
    headers = {"Stripe-Signature": sign(WEBHOOK_SECRET, payload, now)}
    first = requests.post(url, data=payload, headers=headers, timeout=10)
    again = requests.post(url, data=payload, headers=headers, timeout=10)
    assert first.json()["outcome"] == "ignored"  # no invoice named
    assert again.json()["outcome"] == "duplicate"
    assert ProcessorEvent.objects.filter(event_id="evt_test_1").count() == 1


def test_the_processor_refuses_a_wrong_key(business, processor, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    from accounts.billing.errors import ProcessorError

    with pytest.raises(ProcessorError):
        services.card_setup_start(business=business, return_url="http://127.0.0.1/x/")
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ProcessorError):
        services.card_setup_start(business=business, return_url="http://127.0.0.1/x/")


def test_a_customer_the_processor_no_longer_has_is_made_again(business, owner, wired, live_server):
    """After a restart of make run the simulated processor had forgotten every customer, and
    "Add a card" said the processor could not be reached, for good (Stripe answers the same
    for a customer deleted in its dashboard). A new customer is made and the card saved."""
    BillingAccount.objects.filter(pk=services.account_get_or_create(business=business).pk).update(
        processor_customer_id="cus_forgotten", processor_payment_method_id="pm_forgotten"
    )
    _card(business, "4242 4242 4242 4242", live_server, wired)
    account = BillingAccount.objects.get(business=business)
    assert account.processor_customer_id not in ("", "cus_forgotten")
    assert account.processor_payment_method_id not in ("", "pm_forgotten")


def test_a_card_the_processor_no_longer_has_asks_for_the_card_again(
    business, owner, owner_client, wired, live_server
):
    """A card saved before a restart of make run (or deleted in Stripe's dashboard): the
    charge said "could not be reached; we will try again", and would, for good, with the
    stale card. Now the card is dropped and the owner asked to add it again; the billing
    page offers "Add a card", and "Pay now" makes a new customer as "Add a card" does."""
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        processor_customer_id="cus_forgotten", processor_payment_method_id="pm_forgotten"
    )
    invoice = _last_month_invoice(business)
    services.invoice_charge(invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == S.FAILED and invoice.failure_code == "payment_method_gone"
    assert "add it again" in invoice.failure_message
    account.refresh_from_db()
    assert account.processor_payment_method_id == ""
    page = owner_client.get("/app/billing/")
    assert page.status_code == 200 and "Add a card" in page.content.decode()
    url = services.invoice_checkout_start(invoice=invoice, return_url=f"{live_server.url}/x/")
    assert url.startswith(wired.url + "/checkout/")
    account.refresh_from_db()
    assert account.processor_customer_id not in ("", "cus_forgotten")
    # with a card added again, the next attempt is charged
    _card(business, "4242 4242 4242 4242", live_server, wired)
    services.invoice_charge(invoice=invoice)
    wired.wait_delivered()
    _wait_status(invoice, S.PAID)
