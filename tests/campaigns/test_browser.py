"""The campaign wizard in a real browser (Debian's chromium through Playwright): live
validation next to the fields, the phone-like preview, saving and submitting."""

import os

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.browser import allow_refusal, dismiss_cookie_banner
from tests.campaigns.conftest import campaign_input
from tests.factories.campaigns import BrandFactory, CampaignFactory, PhoneNumberFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(owner_page):
    return owner_page


def test_wizard_live_validation_preview_and_submit(page, business):
    BrandFactory(business=business, display_name="Bright Smile")
    page.goto("/app/campaigns/new/")
    dismiss_cookie_banner(page)
    data = campaign_input()
    page.select_option("#id_usecase", "MIXED")
    page.check("#id_sub_usecases input[value=MARKETING]")
    for name in ("description", "message_flow", "help_message", "optin_message",
                 "optout_message"):  # fmt: skip
        page.fill(f"#id_{name}", data[name])
    page.fill("#id_sample1", "Hello! Your cleaning is on Tuesday at 3pm, see you then.")

    # live errors appear next to the fields they concern, in the rules' words
    expect(page.locator(".field:has(#id_sub_usecases) .live-errors")).to_contain_text("2 to 5")
    expect(page.locator(".field:has(#id_sample1) .live-errors")).to_contain_text("Bright Smile")

    # the preview shows the text as typed (escaped) with its segment count
    page.fill("#id_sample2", "Bright Smile: <b>20%</b> off whitening. Reply STOP to opt out.")
    bubble = page.locator("#sample-preview .sms").nth(1)
    expect(bubble).to_contain_text("<b>20%</b> off whitening")
    expect(bubble).to_contain_text("1 segment (GSM-7)")

    # fixing the fields clears the errors
    page.check("#id_sub_usecases input[value=ACCOUNT_NOTIFICATION]")
    page.fill("#id_sample1", data["sample1"])
    page.fill("#id_sample2", data["sample2"])
    expect(page.locator("#live-status")).to_have_text("Every rule we check passes.")
    expect(page.locator(".live-errors")).to_have_count(0)

    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Campaign:")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Submit for registration")
    expect(page.locator(".badge").first).to_have_text("Submitted")
    campaign = Campaign.objects.get(business=business)
    assert campaign.status == "SUBMITTED" and campaign.automated is False


def test_a_refused_save_shows_each_error_once_and_the_use_cases_by_name(page, business):
    """After a refused save the server's errors sat under the fields and the live check,
    run on load, added the same ones again (each error twice); the use cases read "2Fa",
    "Polling Voting", "Ucaas Low" and the campaign page showed the raw codes."""
    BrandFactory(business=business, display_name="Bright Smile")
    page.goto("/app/campaigns/new/")
    dismiss_cookie_banner(page)
    expect(page.locator("#id_usecase option[value='2FA']")).to_have_text(
        "Two-factor authentication (2FA)"
    )
    expect(page.locator("#id_usecase option[value='UCAAS_LOW']")).to_have_text("UCaaS, low volume")
    data = campaign_input()
    page.select_option("#id_usecase", "MIXED")
    for value in ("ACCOUNT_NOTIFICATION", "CUSTOMER_CARE", "MARKETING"):  # 3 kinds, 2 samples
        page.check(f"#id_sub_usecases input[value={value}]")
    for name in ("description", "message_flow", "sample1", "sample2", "help_message",
                 "optin_message", "optout_message"):  # fmt: skip
        page.fill(f"#id_{name}", data[name])
    page.evaluate("document.querySelectorAll('.live-errors').forEach(e => e.remove())")
    allow_refusal(page, 400, "/app/campaigns/new/")
    page.click("#campaign-form button[type=submit]")
    errors = page.locator(".field:has(#id_sample1) .errorlist li")
    expect(errors.first).to_contain_text("one sample per sub use case")
    expect(page.locator("#live-status")).to_contain_text("needs attention")  # the live check ran
    expect(errors).to_have_count(1)
    expect(page.locator("#id_sample1_error")).to_have_count(1)

    page.fill("#id_sample3", "Bright Smile: your cleaning is confirmed. Reply STOP to opt out.")
    expect(page.locator("#live-status")).to_have_text("Every rule we check passes.")
    expect(page.locator("#campaign-form .errorlist")).to_have_count(0)
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Campaign:")
    expect(page.locator("main")).to_contain_text(
        "Use case: Mixed (Account notifications, Customer care, Marketing)"
    )


def test_the_numbers_page_fits_a_phone(page, business, carrier, settings):
    # reported about 6 px wider than a 375 px phone (the whole page scrolled sideways); the
    # page with every part shown (a number, an approved campaign to pick, numbers for rent,
    # the cookie banner, an area code the carrier refuses) must fit; the numbers table
    # scrolls inside its own box
    settings.CARRIER_URL = carrier.url
    PhoneNumberFactory(business=business)
    CampaignFactory(business=business, name="Appointment reminders")
    page.set_viewport_size({"width": 375, "height": 667})

    def fits(url: str) -> None:
        page.goto(url)
        scroll, client, wider = page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const wider = [...document.querySelectorAll('body *')]
                    .filter(el => !el.closest('.table-wrap'))
                    .filter(el => el.getBoundingClientRect().right > width)
                    .map(el => el.tagName + '.' + el.className);
                return [document.documentElement.scrollWidth, width, wider];
            }"""
        )
        assert scroll <= client, f"{url}: {scroll} px > {client} px: {wider}"

    fits("/app/numbers/?area_code=917")  # the cookie banner shown
    assert page.locator("ul.available li").count() > 0
    dismiss_cookie_banner(page)
    fits("/app/numbers/?area_code=917")
    fits("/app/numbers/?area_code=1")
    fits("/app/numbers/")
