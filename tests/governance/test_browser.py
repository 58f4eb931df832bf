"""A member accepts new policy versions in a real browser (Debian's chromium through
Playwright): the banner on a portal page, the acceptance page, back where they were."""

import os

import pytest
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from policies.models import PolicyAcceptance

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(live_server, owner, shipped_documents):
    client = Client()
    client.force_login(owner.user)
    session = client.session
    session["current_business"] = str(owner.business.uuid)
    session.save()
    outside = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        context = browser.new_context(base_url=live_server.url)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )

        def guard(route):
            if route.request.url.startswith(live_server.url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        yield context.new_page()
        context.close()
        browser.close()
    assert not outside, f"third-party requests: {outside}"


def test_member_accepts_new_versions_from_the_banner(page, owner):
    page.goto("/app/compliance/")
    banner = page.locator(".messages .policy-notice")
    expect(banner).to_contain_text("Terms of service (version 1.0)")
    banner.get_by_role("link", name="Review and accept").click()
    expect(page.get_by_role("heading", name="Policy updates")).to_be_visible()
    expect(page.locator("#accept-form li")).to_have_count(3)
    page.get_by_role("button", name="I have read and accept these versions").click()
    expect(page).to_have_url(f"{page.url.split('/app/')[0]}/app/compliance/")
    expect(page.locator(".messages")).to_contain_text("Thank you. You accepted")
    expect(page.locator(".policy-notice")).to_have_count(0)
    assert PolicyAcceptance.objects.filter(user=owner.user, method="portal").count() == 3
    page.goto("/app/")
    expect(page.locator(".policy-notice")).to_have_count(0)


def test_public_policy_page_and_its_versions(page):
    page.goto("/legal/sms-policy/")
    expect(page.get_by_role("heading", name="SMS/MMS content policy", level=1)).to_be_visible()
    expect(page.locator("#doc-version")).to_have_text("1.0")
    page.get_by_role("link", name="Version 1.0").click()
    expect(page).to_have_url(f"{page.url.split('/legal/')[0]}/legal/sms-policy/v/1.0/")
