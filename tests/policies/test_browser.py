"""The policy page in a real browser (Debian's chromium through Playwright): the pre-check
shows the reasons of a draft, and the decisions list shows what was blocked."""

import os

import pytest
from playwright.sync_api import expect

from policies.models import PolicyDecision
from tests.browser import dismiss_cookie_banner
from tests.factories.policies import PolicyDecisionFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(owner_page):
    return owner_page


def test_precheck_shows_reasons_and_records_nothing(page, business):
    PolicyDecisionFactory(business=business, excerpt="Book now: bit.ly/abc")
    page.goto("/app/policy/")
    dismiss_cookie_banner(page)
    expect(page.locator("text=bit.ly is a public link shortener").first).to_be_visible()
    page.fill("#pc-body", "Get your p4yday l0an today at bit.ly/cash")
    page.select_option("#pc-kind", "transactional")
    page.click("#policy-check-form button[type=submit]")
    result = page.locator("#policy-check-result")
    expect(result).to_contain_text("Would be blocked")
    expect(result).to_contain_text("loan, mortgage and cash-advance offers are not allowed")
    expect(result).to_contain_text("bit.ly is a public link shortener")
    page.fill("#pc-body", "See you Tuesday at 3pm!")
    page.select_option("#pc-kind", "conversational")
    page.click("#policy-check-form button[type=submit]")
    expect(result).to_contain_text("Passes the policy")
    assert PolicyDecision.objects.filter(business=business).count() == 1
