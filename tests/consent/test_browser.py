"""The opt-in form embedded in pages served from other origins, in a real browser.

Debian's chromium through Playwright. Two small HTTP servers on loopback play the
business's website (allowed origin) and a stranger's site (not allowed); the form comes
from Django's live server. The double opt-in YES goes through messaging's signed inbound
webhook, as the carrier would send it.
"""

import json
import os
import time

import pytest
import requests
from playwright.sync_api import expect

from consent import selectors
from consent.models import ConsentEvent, Contact, FormSnapshot
from tests.browser import LoopbackSite, allow_console_errors, allow_refusal, guarded_page
from tests.consent.conftest import wait_for
from tests.factories.campaigns import PhoneNumberFactory
from tests.factories.consent import OptInFormFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sites():
    with LoopbackSite() as allowed, LoopbackSite() as stranger:
        yield allowed, stranger


@pytest.fixture
def page(chromium, live_server, sites):
    """No base URL: the test opens the sites' pages, which may reach the live server."""
    with guarded_page(
        chromium, allowed=(live_server.url, sites[0].origin, sites[1].origin)
    ) as page:
        yield page


def embed_pages(live_server, form) -> dict[str, str]:
    iframe = (
        "<!doctype html><title>Bright Smile</title><h1>Welcome</h1>"
        f'<iframe id="signup" src="{live_server.url}/f/{form.uuid}/" '
        'style="width:520px;height:640px"></iframe>'
    )
    script = (
        "<!doctype html><title>Bright Smile</title><h1>Texts</h1>"
        f'<div id="box" data-cyc-optin="{form.uuid}"></div>'
        f'<script src="{live_server.url}/static/js/consent.js" async></script>'
    )
    return {"/iframe.html": iframe, "/script.html": script}


def carrier_inbound(live_server, *, to: str, sender: str, body: str, message_id: str):
    from messaging.providers import signing

    payload = json.dumps({"to": to, "from": sender, "body": body, "id": message_id}).encode()
    timestamp = str(time.time())
    return requests.post(
        f"{live_server.url}/webhooks/carrier/inbound/",
        data=payload,
        headers={
            "Content-Type": "application/json",
            "X-Carrier-Timestamp": timestamp,
            "X-Carrier-Signature": signing.sign(signing.carrier_secret(), timestamp, payload),
        },
        timeout=10,
    )


def test_embedded_form_double_opt_in_and_refusal_elsewhere(
    page, live_server, sites, business, text_worker
):
    allowed, stranger = sites
    number = PhoneNumberFactory(business=business)
    campaign = number.campaign
    form = OptInFormFactory(
        business=business, campaigns=[campaign], allowed_origins=[allowed.origin]
    )
    allowed.pages.update(embed_pages(live_server, form))
    stranger.pages.update(embed_pages(live_server, form))

    # 1. the iframe on the business's own site: fill and submit
    page.goto(f"{allowed.origin}/iframe.html")
    frame = page.frame_locator("#signup")
    consent_box = frame.locator("input[name=consent]")
    expect(consent_box).not_to_be_checked()  # never pre-checked
    expect(frame.locator("label[for^=cyc-consent]")).to_contain_text("Msg & data rates may apply")
    frame.locator("input[name=phone]").fill("(312) 555-0142")
    frame.locator("input[name=name]").fill("Dana Client")
    allow_refusal(page, 400, f"/f/{form.uuid}/submit/")  # the form again, with its errors
    frame.locator("button[type=submit]").click()
    # without the boxes ticked: errors next to the fields, nothing recorded
    expect(frame.locator(".cyc-error").first).to_be_visible()
    expect(frame.get_by_text("Tick the box to agree")).to_be_visible()
    assert not Contact.objects.filter(business=business, phone="+13125550142").exists()
    frame.locator("input[name=consent]").check()
    frame.locator("input[name=age_confirmed]").check()
    frame.locator("button[type=submit]").click()
    expect(frame.get_by_role("status")).to_contain_text("reply YES")

    contact = Contact.objects.get(business=business, phone="+13125550142")
    assert contact.name == "Dana Client"
    pending = ConsentEvent.objects.get(contact=contact)
    assert pending.kind == "OPT_IN" and pending.method == "WEB_FORM"
    assert pending.campaign_id == campaign.pk
    assert pending.page_url.startswith(allowed.origin)
    assert pending.evidence.ip == "127.0.0.1" and "Chrome" in pending.evidence.user_agent
    snapshot = FormSnapshot.objects.get(business=business, sha256=pending.form_snapshot_sha256)
    assert "Msg &amp; data rates may apply" in snapshot.html
    assert pending.policy_version == form.policy_version
    decision = selectors.consent_check(
        business=business, contact=contact, kind="marketing", campaign=campaign
    )
    assert decision.code == "pending_double_opt_in"

    # the "Reply YES" text was handed to messaging from the campaign's number
    from messaging.models import Message

    text_worker()  # queued when the consent committed: a worker sends it
    doi = wait_for(
        Message.objects.filter(business=business, contact=contact, purpose="double_opt_in").first,
        "the Reply YES text",
    )
    assert doi.from_number_id == number.pk and "Reply YES" in doi.body
    assert doi.status not in ("blocked", "BLOCKED"), doi.reasons

    # 2. the person replies YES: through the carrier's signed inbound webhook
    response = carrier_inbound(
        live_server, to=number.e164, sender="+13125550142", body="YES", message_id="MO-1"
    )
    assert response.status_code < 300, response.text
    confirmed = ConsentEvent.objects.filter(contact=contact).order_by("-seq").first()
    assert confirmed.kind == "OPT_IN_CONFIRMED" and confirmed.method == "DOUBLE_OPT_IN_REPLY"
    assert selectors.consent_check(
        business=business, contact=contact, kind="marketing", campaign=campaign
    ).allowed

    # 3. the script embed on the same site records the embedding page's URL
    page.goto(f"{allowed.origin}/script.html")
    box = page.locator("#box")
    box.locator("input[name=phone]").fill("312-555-0143")
    box.locator("input[name=consent]").check()
    box.locator("input[name=age_confirmed]").check()
    box.locator("button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text("reply YES")
    scripted = Contact.objects.get(business=business, phone="+13125550143")
    event = ConsentEvent.objects.get(contact=scripted)
    assert event.page_url == f"{allowed.origin}/script.html"
    assert selectors.ledger_verify(business=business).ok

    # 4. the same pages on a site that is not allowed: refused, as the browser reports
    allow_console_errors(page, '"frame-ancestors', "")  # Chromium names no page for it
    allow_refusal(page, 403, "chrome-error://")  # the framed page the browser refused
    allow_console_errors(page, "has been blocked by CORS policy", stranger.origin)
    allow_console_errors(page, "net::ERR_FAILED", f"{live_server.url}/f/{form.uuid}/")
    page.goto(f"{stranger.origin}/iframe.html")
    stranger_frame = page.frame_locator("#signup")
    expect(stranger_frame.locator("input[name=phone]")).to_have_count(0, timeout=3000)
    page.goto(f"{stranger.origin}/script.html")
    expect(page.locator("#box")).to_contain_text("not available", timeout=5000)
    # and a direct cross-origin post from it is refused
    outcome = page.evaluate(
        """async (url) => {
            try {
                const r = await fetch(url, {method: "POST",
                    headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({phone: "3125550144", consent: true,
                                          age_confirmed: true})});
                return "status " + r.status;
            } catch (e) { return "blocked"; }
        }""",
        f"{live_server.url}/f/{form.uuid}/submit/",
    )
    assert outcome == "blocked"
    forged = requests.post(
        f"{live_server.url}/f/{form.uuid}/submit/",
        data={"phone": "3125550144", "consent": "1", "age_confirmed": "1"},
        headers={"Origin": stranger.origin},
        timeout=10,
    )
    assert forged.status_code == 403
    assert not Contact.objects.filter(business=business, phone="+13125550144").exists()


def test_the_disclosure_names_the_brand_once_when_the_program_is_the_brand(owner_page, business):
    """A new form's program name is the business's name: the disclosure read "from Luxe Hair
    (Luxe Hair)". The preview (consent.js) and the saved form (consent/disclosure.py) name
    it once, and keep the brand in brackets beside a program name of its own."""
    from consent.disclosure import for_form

    page = owner_page
    brand = business.display_name
    optin = OptInFormFactory(business=business, program_name=brand, message_description="offers")
    page.goto(f"/app/forms/{optin.uuid}/")
    label = page.locator("[data-form-preview] input[name=consent] + label")
    expect(label).to_contain_text(f"text messages from {brand} about offers")
    page.get_by_label("What you will text").fill("appointment reminders")
    expect(label).to_contain_text(f"text messages from {brand} about appointment reminders")
    page.get_by_label("Program name").fill("Smile Alerts")
    expect(label).to_contain_text(f"from Smile Alerts ({brand}) about appointment reminders")

    assert f"from {brand} about offers" in for_form(optin).text
    own = OptInFormFactory(business=business, program_name="Smile Alerts")
    assert f"from Smile Alerts ({brand}) about" in for_form(own).text
