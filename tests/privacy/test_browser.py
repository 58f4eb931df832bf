"""The cookie banner in a real browser (Debian's chromium through Playwright).

No non-essential cookie before a choice; reject all leaves only essential cookies; the
choice changes from the footer's "Cookie settings"; keyboard only; the JS gate refuses.
"""

import os

import pytest
from playwright.sync_api import expect

from accounts.privacy.models import CookieConsentRecord, UsageLogEntry
from tests.browser import signed_in_page, visitor_page
from tests.factories.accounts import MembershipFactory

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test
# itself are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESSENTIAL = {"csrftoken", "sessionid", "messages", "cyc_cookie_consent"}


@pytest.fixture
def page(chromium, live_server):
    # Loopback only: any request elsewhere (a CDN, a tracker) fails the test.
    with visitor_page(chromium, live_server) as page:
        yield page


def cookie_names(page) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def tab_to(page, name: str, limit: int = 40) -> None:
    """Press Tab until the focused element's text is ``name`` (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        text = page.evaluate("document.activeElement && document.activeElement.textContent")
        if text and text.strip() == name:
            return
    raise AssertionError(f"{name!r} is not reachable with the keyboard")


def test_reject_all_then_change_from_the_footer(page):
    page.goto("/")
    banner = page.locator("#cookie-banner")
    expect(banner).to_be_visible()
    assert cookie_names(page) <= ESSENTIAL
    assert "cyc_cookie_consent" not in cookie_names(page)
    # the JS gate refuses a non-essential cookie before a choice
    assert page.evaluate("window.cycCookies.set('cyc_layout', 'compact', 'functionality')") is False
    assert "cyc_layout" not in cookie_names(page)

    tab_to(page, "Reject all")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#cookie-banner")).to_have_count(0)
    names = cookie_names(page)
    assert "cyc_cookie_consent" in names and names <= ESSENTIAL
    record = CookieConsentRecord.objects.get()
    assert record.method == "reject_all" and record.choices["performance"] is False
    assert page.evaluate("window.cycCookies.allowed('performance')") is False

    page.click("#footer-cookie-settings")
    expect(page.locator("#cookie-current")).to_contain_text("Performance and analytics refused")
    page.check("input[name=performance]")
    with page.expect_navigation():
        page.click("button[value=customise]")
    expect(page.locator("#cookie-current")).to_contain_text("Performance and analytics allowed")
    assert page.evaluate("window.cycCookies.allowed('performance')") is True
    assert page.evaluate("window.cycCookies.allowed('advertising')") is False
    records = list(CookieConsentRecord.objects.order_by("created_at", "id"))
    assert [r.method for r in records] == ["reject_all", "customise"]  # both kept
    assert records[1].choices["performance"] is True
    assert records[0].browser_id == records[1].browser_id


def test_customise_in_the_banner_with_the_keyboard(page):
    page.goto("/")
    tab_to(page, "Customise")
    page.keyboard.press("Enter")
    panel = page.locator("#cookie-panel")
    expect(panel).to_be_visible()
    expect(page.locator("#cookie-customise")).to_have_attribute("aria-expanded", "true")
    # focus moved into the panel, on the first category
    assert page.evaluate("document.activeElement.name") == "performance"
    page.keyboard.press("Tab")  # performance -> functionality
    page.keyboard.press("Space")
    tab_to(page, "Save my choices")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#cookie-banner")).to_have_count(0)
    record = CookieConsentRecord.objects.get()
    assert record.method == "customise"
    assert record.choices == {
        "essential": True,
        "performance": False,
        "functionality": True,
        "advertising": False,
    }
    assert page.evaluate("window.cycCookies.set('cyc_layout', 'compact', 'functionality')") is True


def test_portal_usage_is_logged_only_after_accepting(chromium, live_server):
    member = MembershipFactory()
    with signed_in_page(chromium, live_server, member) as page:
        page.goto("/app/")
        expect(page.locator("#cookie-banner")).to_be_visible()
        page.goto("/app/account/")
        assert not UsageLogEntry.objects.exists()
        with page.expect_navigation():
            page.click("#cookie-banner button[value=accept_all]")  # back to /app/account/
        page.goto("/app/")
        entries = list(UsageLogEntry.objects.order_by("created_at", "id"))
        assert [e.path for e in entries] == ["/app/account/", "/app/"]
        assert all(e.user == member.user for e in entries)
        assert entries[0].browser.startswith("Chrome") and entries[0].ip_truncated == "127.0.0.0"
