"""A member accepts new policy versions in a real browser (Debian's chromium through
Playwright): the banner on a portal page, the acceptance page, back where they were."""

import os

import pytest
from playwright.sync_api import expect

from policies.models import PolicyAcceptance

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(owner_page):
    return owner_page


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
