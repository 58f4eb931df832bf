"""The Link domains page in a real browser (Debian's chromium through Playwright): the
token and both instructions, then Check now against the local DNS stub. The page is
watched for CSP violations and console errors (tests/browser.py)."""

import os

import pytest
from playwright.sync_api import expect

from campaigns.domains import services
from campaigns.domains.models import BrandDomain
from tests.browser import dismiss_cookie_banner
from tests.campaigns.domain_stubs import DnsStub

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_reads_the_instructions_and_verifies_by_dns(owner_page, business, settings):
    business.brand_domains = ["brightsmile.test"]
    business.save(update_fields=["brand_domains"])
    BrandDomain.objects.filter(business=business).delete()
    (domain,) = services.brand_domains_sync(business=business)
    stub = DnsStub()
    settings.DOMAINS_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.DOMAINS_DNS_PORT = stub.port
    try:
        page = owner_page
        page.goto("/app/domains/")
        dismiss_cookie_banner(page)
        card = page.locator(f"#domain-{domain.uuid}")
        expect(card).to_contain_text("Not verified")
        expect(card).to_contain_text(f"cyc-verify={domain.token}")
        expect(card).to_contain_text("https://brightsmile.test/.well-known/cyc-verify.txt")
        page.screenshot(path=os.environ.get("DOMAINS_SCREENSHOT", "/tmp/domains-page.png"))

        stub.add("_cyc-verify.brightsmile.test", "TXT", domain.dns_value)
        with page.expect_navigation():
            card.get_by_role("button", name="Check now").click()
        expect(page.locator("body")).to_contain_text("brightsmile.test is verified")
        expect(page.locator(f"#domain-{domain.uuid}")).to_contain_text("Verified")
        expect(page.locator(f"#domain-{domain.uuid}").get_by_role("button")).to_have_count(0)
    finally:
        stub.stop()
