"""Billing in a real browser (Debian's chromium through Playwright) against the live portal,
the simulated carrier and the simulated payment processor (real processes over HTTP), and a
real Celery worker that drains the texts and charges the invoice:

1. sign up, enter a test card on the processor's hosted page, send texts, close the period,
   and see an invoice whose lines match the carrier's audit log to the cent, paid by the
   processor's webhook (and download its PDF);
2. a card that is declined: the grace period (a warning on every page), then a paused
   business (a reason on every page, 402 from the API), which resumes as soon as it pays.
"""

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from playwright.sync_api import expect

from accounts import services as account_services
from accounts.billing import money, services
from accounts.billing.models import BillingAccount, Invoice, Plan, PriceVersion
from accounts.models import Business
from accounts.roles import Role
from messaging.models import Message
from tests.browser import dismiss_cookie_banner
from tests.factories.messaging import consenting_contact, sending_number
from tests.portal.conftest import shoot, wait_until

from .conftest import SECRET_KEY, WEBHOOK_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "Salon-owner-pass-42"
BODIES = [
    "Rosa's Salon: your appointment is confirmed for Tue at 3pm. Reply STOP to opt out.",
    "Rosa's Salon: a reminder about your colour appointment on Friday at 10am; please arrive "
    "ten minutes early so we can start on time, and bring your inspiration photos. "
    "Reply STOP to opt out.",
    "Rosa's Salon: see you tomorrow 💇 Reply STOP to opt out.",
]


@pytest.fixture
def billing_env(processor, live_server, monkeypatch):
    """The processor's address and keys for this process and the worker (set before the
    worker starts), its webhooks to the live server."""
    monkeypatch.setenv("STRIPE_API_BASE", processor.url)
    monkeypatch.setenv("STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    processor.control(webhook_url=f"{live_server.url}/webhooks/processor/")
    return processor


def signup(page, *, email: str, legal: str) -> Business:
    page.goto("/")
    dismiss_cookie_banner(page)
    page.get_by_role("link", name="Create your account").click()
    page.get_by_label("Your name").fill("Rosa Diaz")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Business legal name").fill(legal)
    page.get_by_label("Name your clients know").fill("Rosa's Salon")
    page.get_by_label("Business website").fill("https://rosas-salon.example")
    page.get_by_label("What does your business do?").fill(
        "Hair salon offering cuts, colour and styling."
    )
    page.get_by_label("I am 18 or older").check()
    page.get_by_label("I accept the Terms").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/app/")
    business = Business.objects.get(legal_name=legal)
    # compliance staff approve it (their side is the account journey's)
    Business.objects.filter(pk=business.pk).update(vetting_status=Business.Vetting.APPROVED)
    return business


def metered_plan(business) -> PriceVersion:
    """Staff put the business on a plan with few included segments, so the SMS line counts."""
    plan = Plan.objects.create(slug=f"metered-{business.pk}", name="Metered", currency="USD")
    version = PriceVersion.objects.create(
        plan=plan, effective_from=datetime(2025, 1, 1).date(), monthly_fee_cents=1900,
        included_segments=2, sms_segment_subcents=79, mms_subcents=300,
        number_month_subcents=11500, brand_registration_cents=400, campaign_vetting_cents=1500,
        campaign_monthly_cents=1000,
    )  # fmt: skip
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(plan=plan)
    return version


def add_card(page, number: str) -> None:
    page.get_by_role("link", name="Billing").click()
    page.get_by_role("button", name=re.compile("Add a card|Replace card")).click()
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/checkout/"))
    page.locator("#number").fill(number)
    page.get_by_role("button", name="Save card").click()
    page.wait_for_url("**/app/billing/?card=done")


def wait_card_on_file(page, business) -> None:
    wait_until(
        lambda: BillingAccount.objects.get(business=business).processor_payment_method_id,
        what="the card saved by the webhook",
    )
    # no reload: back from the processor, the page follows the webhook by itself (app.js)
    expect(page.locator("#card-status")).to_contain_text("A card is on file", timeout=20_000)


def api_send(live_server, key: str, to: str, body: str) -> requests.Response:
    return requests.post(
        f"{live_server.url}/api/v1/messages/",
        json={"to": str(to), "kind": "transactional", "body": body},
        headers={"Authorization": f"Bearer {key}"},
        timeout=20,
    )


def sending_setup(business):
    number = sending_number(business=business)
    contacts = [consenting_contact(business=business, number=number) for _ in range(4)]
    owner = business.memberships.get(role=Role.OWNER)
    _, key = account_services.api_key_create(business=business, name="app", role="admin", by=owner)
    return number, contacts, key


def close_period_at_month_end(business) -> Invoice:
    """The beat's daily close, run as on the first of next month."""
    period = money.period_of(timezone.now())
    closing = datetime.combine(money.next_period(period), time(0, 30), tzinfo=UTC)
    BillingAccount.objects.filter(business=business).update(created_at=timezone.now())
    services.periods_close(now=closing)
    return Invoice.objects.get(business=business, period_start=period)


def test_card_texts_close_the_period_invoice_matches_the_carrier_paid_by_webhook(
    billing_env, sending_stack, new_page, live_server
):
    carrier = sending_stack["carrier"]
    page = new_page()
    business = signup(page, email="rosa@rosas-salon.example", legal="Rosa's Salon LLC")
    price = metered_plan(business)
    add_card(page, "4242 4242 4242 4242")
    wait_card_on_file(page, business)

    _, contacts, key = sending_setup(business)
    for i, contact in enumerate(contacts):
        response = api_send(live_server, key, contact.phone, BODIES[i % len(BODIES)])
        assert response.status_code == 201, response.text
    wait_until(
        lambda: (
            Message.objects.filter(business=business, status__in=["SENT", "DELIVERED"]).count()
            == len(contacts)
        ),
        timeout=60,
        what="the worker to send every text",
    )

    invoice = close_period_at_month_end(business)
    # the worker emails and charges it; the processor's webhook marks it paid
    wait_until(
        lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID,
        timeout=60,
        what="the payment webhook",
    )

    page.get_by_role("link", name="Billing").click()
    page.get_by_role("link", name=invoice.number).click()
    expect(page.locator("#invoice-status")).to_have_text("Paid")

    # the carrier's audit log, priced by the plan, to the cent
    accepted = [e for e in carrier.audit() if not e.get("duplicate")]
    assert len(accepted) == len(contacts)
    segments = sum(e["segments"] for e in accepted)
    sms_cents = money.line_amount(
        quantity=segments - price.included_segments, unit_subcents=price.sms_segment_subcents
    )
    sms_row = page.locator("#invoice-lines tr[data-kind='SMS_SEGMENT']")
    expect(sms_row.locator("td").nth(1)).to_have_text(str(segments))
    expect(sms_row.locator("td.amount")).to_have_text(money.format_cents(sms_cents))
    plan_row = page.locator("#invoice-lines tr[data-kind='PLAN_FEE']")
    expect(plan_row.locator("td.amount")).to_have_text(money.format_cents(1900))
    expect(page.locator("#invoice-total")).to_have_text(money.format_cents(1900 + sms_cents))
    shoot(page, "billing-invoice")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert Path(download.value.path()).read_bytes()[:4] == b"%PDF"


def test_declined_card_grace_then_paused_then_resumes_after_paying(
    billing_env, sending_stack, new_page, live_server
):
    page = new_page()
    business = signup(page, email="sam@sams-nails.example", legal="Sam's Nails LLC")
    # saved fine, but every charge is declined (Stripe's test card 4000 0000 0000 0341)
    add_card(page, "4000 0000 0000 0341")
    wait_card_on_file(page, business)
    _, contacts, key = sending_setup(business)

    invoice = close_period_at_month_end(business)
    wait_until(
        lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.FAILED,
        timeout=60,
        what="the declined charge",
    )
    # the grace period: sending goes on, every page warns
    page.goto("/app/")
    expect(page.locator("#billing-notice")).to_contain_text("A payment failed")
    assert api_send(live_server, key, contacts[0].phone, BODIES[0]).status_code == 201

    # the grace period ends: the dunning run retries (declined) and pauses
    services.dunning_run(now=timezone.now() + timedelta(days=8))
    page.goto("/app/")
    expect(page.locator("#billing-notice")).to_contain_text("Sending is paused")
    expect(page.locator("#billing-notice")).to_contain_text(invoice.number)
    page.goto("/app/contacts/")
    expect(page.locator("#billing-notice")).to_contain_text("Sending is paused")
    refused = api_send(live_server, key, contacts[1].phone, BODIES[0])
    assert refused.status_code == 402
    assert refused.json()["error"]["code"] == "billing_paused"
    shoot(page, "billing-paused")

    # pay on the hosted page with a good card: resumed at once
    page.get_by_role("link", name="Billing").first.click()
    page.get_by_role("link", name=invoice.number).click()
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    page.wait_for_url(re.compile(r"http://127\.0\.0\.1:\d+/checkout/"))
    page.locator("#number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r".*/app/billing/invoices/.*\?paid=done"))
    wait_until(
        lambda: (
            BillingAccount.objects.get(business=business).standing == BillingAccount.Standing.ACTIVE
        ),
        what="the payment webhook to resume the account",
    )
    page.reload()
    expect(page.locator("#invoice-status")).to_have_text("Paid")
    expect(page.locator("#billing-notice")).to_have_count(0)
    assert api_send(live_server, key, contacts[1].phone, BODIES[0]).status_code == 201
