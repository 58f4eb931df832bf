"""The Billing pages (owner and billing role), the banner on every page, and staff's admin:
balances, invoices, credit notes with a reason, waiving a fine, price versions."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from accounts.billing import money, selectors, services
from accounts.billing.models import (
    BillingAccount,
    CreditNote,
    Invoice,
    Plan,
    PriceVersion,
    UsageKind,
    UsageRecord,
)
from accounts.models import AuditEvent
from accounts.roles import Role
from messaging.selectors import compose_precheck
from tests.factories.accounts import MembershipFactory

from .url_rules import issued_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def billing_client(client, business, login):
    login(client, MembershipFactory(business=business, role=Role.BILLING))
    return client


def test_the_billing_role_sees_the_page_and_sets_the_cap(billing_client, business):
    page = billing_client.get("/app/billing/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "No card on file" in text and "$0.0150" in text
    assert "Content-Security-Policy" in page.headers
    assert "form-action 'self' http://127.0.0.1:" in page.headers["Content-Security-Policy"]
    bad = billing_client.post("/app/billing/", {"action": "cap", "monthly_cap": "ten"})
    assert bad.status_code == 400 and "An amount in dollars" in bad.content.decode()
    ok = billing_client.post("/app/billing/", {"action": "cap", "monthly_cap": "99.50"})
    assert ok.status_code == 302
    assert BillingAccount.objects.get(business=business).monthly_cap_cents == 9950
    billing_client.post("/app/billing/", {"action": "cap", "monthly_cap": ""})
    assert BillingAccount.objects.get(business=business).monthly_cap_cents is None
    bad = billing_client.post("/app/billing/", {"action": "email", "billing_email": "nope"})
    assert bad.status_code == 400
    billing_client.post("/app/billing/", {"action": "email", "billing_email": "b@example.com"})
    assert BillingAccount.objects.get(business=business).billing_email == "b@example.com"
    unknown = billing_client.post("/app/billing/", {"action": "dance"}, follow=True)
    assert "Unknown action" in unknown.content.decode()


def test_card_buttons_without_a_reachable_processor_say_so(billing_client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = billing_client.post("/app/billing/", {"action": "card"}, follow=True)
    assert "could not be reached" in response.content.decode()
    response = billing_client.post("/app/billing/", {"action": "remove-card"}, follow=True)
    assert "Card removed" in response.content.decode()


def test_invoice_page_and_pdf(billing_client, business, settings):
    invoice = issued_invoice(business)
    page = billing_client.get(f"/app/billing/invoices/{invoice.uuid}/")
    text = page.content.decode()
    assert invoice.number in text and "Prices exclude taxes" in text
    assert "Pay $25.00 now" in text
    pdf = billing_client.get(f"/app/billing/invoices/{invoice.uuid}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert invoice.number in pdf["Content-Disposition"]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    pay = billing_client.post(f"/app/billing/invoices/{invoice.uuid}/", follow=True)
    assert "could not be reached" in pay.content.decode()
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    done = billing_client.post(f"/app/billing/invoices/{invoice.uuid}/", follow=True)
    assert "nothing left to pay" in done.content.decode()


def test_the_banner_is_on_every_portal_page_while_paused(owner_client, business):
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        standing=BillingAccount.Standing.PAUSED, pause_reason="invoice INV-000009 is unpaid."
    )
    for url in ("/app/", "/app/contacts/", "/app/billing/"):
        text = owner_client.get(url).content.decode()
        assert "Sending is paused: invoice INV-000009 is unpaid." in text, url
    BillingAccount.objects.filter(pk=account.pk).update(
        standing=BillingAccount.Standing.PAST_DUE, past_due_since=timezone.now()
    )
    assert "A payment failed" in owner_client.get("/app/").content.decode()


def test_staff_see_balances_issue_credit_notes_and_waive_fines(staff_client, business):
    invoice = issued_invoice(business)
    listing = staff_client.get("/admin/billing/billingaccount/")
    assert listing.status_code == 200 and "$25.00" in listing.content.decode()
    detail = staff_client.get(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert "Issue a credit note" in detail.content.decode()
    url = f"/admin/billing/invoice/{invoice.pk}/credit-note/"
    assert staff_client.get(url).status_code == 200
    missing = staff_client.post(url, {"amount": "5.00", "reason": ""})
    assert missing.status_code == 200 and CreditNote.objects.count() == 0
    too_much = staff_client.post(url, {"amount": "500.00", "reason": "x"})
    assert "At most" in too_much.content.decode()
    done = staff_client.post(url, {"amount": "5.00", "reason": "Outage"})
    assert done.status_code == 302
    note = CreditNote.objects.get()
    assert note.amount_cents == 500 and note.reason == "Outage"
    assert AuditEvent.objects.filter(action="billing.credit_note.issue").exists()

    services.usage_record_many(
        business_id=business.pk,
        items=[
            services.Usage("penalty:z", UsageKind.CARRIER_FINE, timezone.now(), 1, 1000, "fine Z")
        ],
    )
    fine = UsageRecord.objects.get(source_key="penalty:z")
    page = staff_client.get(f"/admin/billing/usagerecord/{fine.pk}/change/")
    assert "Waive this fine" in page.content.decode()
    waive = f"/admin/billing/usagerecord/{fine.pk}/waive/"
    assert staff_client.get(waive).status_code == 200
    assert staff_client.post(waive, {"reason": "first time"}).status_code == 302
    fine.refresh_from_db()
    assert fine.waived_at is not None
    again = staff_client.post(waive, {"reason": "again"})
    assert "already waived" in again.content.decode()
    assert staff_client.get("/admin/billing/usagerecord/").status_code == 200


def test_staff_add_a_price_version_from_a_coming_period(staff_client):
    plan = Plan.objects.get(slug="standard")
    start = money.next_period(money.period_of(timezone.now()))
    form = {
        "plan": str(plan.pk), "effective_from": start.isoformat(), "monthly_fee_cents": "2900",
        "included_segments": "500", "sms_segment_subcents": "150", "mms_subcents": "400",
        "number_month_subcents": "15000", "brand_registration_cents": "400",
        "campaign_vetting_cents": "1500", "campaign_monthly_cents": "1000",
    }  # fmt: skip
    running = staff_client.post(
        "/admin/billing/priceversion/add/",
        {**form, "effective_from": money.period_of(timezone.now()).isoformat()},
    )
    assert "from the next period on" in running.content.decode()
    response = staff_client.post("/admin/billing/priceversion/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    version = PriceVersion.objects.get(plan=plan, effective_from=start)
    assert selectors.price_for(plan=plan, period=start).monthly_fee_cents == 2900
    assert AuditEvent.objects.filter(action="billing.price.create").exists()
    change = staff_client.post(f"/admin/billing/priceversion/{version.pk}/change/", form)
    assert change.status_code == 403
    assert staff_client.get(f"/admin/billing/plan/{plan.pk}/change/").status_code == 200


def test_the_invoice_admin_is_read_only(staff_client, business):
    invoice = issued_invoice(business)
    assert staff_client.get("/admin/billing/invoice/").status_code == 200
    response = staff_client.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    assert date(2026, 1, 1) <= invoice.period_start
    assert datetime.now().year >= 2026


def test_the_composer_shows_the_business_s_own_prices(business, owner_client):
    price = compose_precheck(
        business=business,
        body="Hi. Reply STOP to opt out.",
        kind="transactional",
        phone="+13125550199",
    )["price"]
    assert (price["sms"], price["mms"]) == (0.015, 0.04)  # the default plan's
    plan = Plan.objects.create(slug="other", name="Other")
    PriceVersion.objects.create(
        plan=plan, effective_from=date(2025, 1, 1), monthly_fee_cents=0, included_segments=0,
        sms_segment_subcents=79, mms_subcents=220, number_month_subcents=0,
        brand_registration_cents=0, campaign_vetting_cents=0, campaign_monthly_cents=0,
    )  # fmt: skip
    account = services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(plan=plan)
    price = compose_precheck(
        business=business,
        body="Hi. Reply STOP to opt out.",
        kind="transactional",
        phone="+13125550199",
    )["price"]
    assert (price["sms"], price["mms"]) == (0.0079, 0.022)
    page = owner_client.get("/app/compose/")
    assert 'data-price-mms="0.022"' in page.content.decode()


def test_back_from_the_processor_the_page_says_it_is_confirming_and_lists_each_fee(
    billing_client, business
):
    """Back from the processor's card page the webhook may not have arrived yet: the page
    said "No card on file" as if the card had failed. It says it is being confirmed and
    follows it (app.js); leaving the processor without a card says so. The 10DLC fees are a
    row each (they were one row of four figures, "1 / 1 / 0 / 0", and three prices)."""
    waiting = billing_client.get("/app/billing/?card=done").content.decode()
    assert "the payment processor is confirming it" in waiting
    assert "data-refresh-when-done" in waiting and "No card on file" not in waiting
    left = billing_client.get("/app/billing/?card=cancelled").content.decode()
    assert "No card was saved" in left and "data-refresh-when-done" not in left

    BillingAccount.objects.filter(business=business).update(processor_payment_method_id="pm_1")
    saved = billing_client.get("/app/billing/?card=done").content.decode()
    assert "A card is on file" in saved and "data-refresh-when-done" not in saved

    now = timezone.now()
    services.usage_record_many(
        business_id=business.pk,
        items=[
            services.pass_through_usage(
                business=business, kind=kind, source_key=kind, occurred_at=now, description=""
            )
            for kind in ("BRAND_REGISTRATION", "CAMPAIGN_VETTING")
        ],
    )
    page = billing_client.get("/app/billing/").content.decode()
    assert '<td id="usage-brand">1</td>' in page and '<td id="usage-vetting">1</td>' in page
    assert '<td id="usage-campaigns">0</td>' in page and '<td id="usage-fines">0</td>' in page
    assert "Campaign vetting (10DLC, at cost)" in page and " / " not in page.split("usage-h")[1]
