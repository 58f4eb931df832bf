"""The browser journeys' console watch (tests/browser.py) fails a test on a CSP violation, a
failed resource or a script error, and lets pass only what a test names."""

import pytest

from tests.browser import ConsoleWatch, allow_refusal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INLINE = (
    "<!doctype html><meta http-equiv='Content-Security-Policy' content=\"style-src 'self'\">"
    "<p style='color:red'>styled inline</p>"
)


@pytest.fixture
def watched(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    watch = ConsoleWatch(context)
    yield context.new_page(), watch
    context.close()


def test_an_inline_style_blocked_by_the_csp_is_caught(watched):
    page, watch = watched
    page.set_content(INLINE)
    page.wait_for_timeout(200)
    [error] = watch.unexpected()
    assert "inline style" in error and "Content Security Policy" in error
    with pytest.raises(AssertionError, match="console errors in the browser"):
        watch.check()


def test_a_script_error_is_caught(watched):
    page, watch = watched
    page.goto("/")
    page.evaluate("setTimeout(() => { throw new Error('boom in the page'); })")
    page.wait_for_timeout(200)
    assert any("page error" in e and "boom in the page" in e for e in watch.unexpected())


def test_a_404_is_caught_unless_the_test_names_it(watched):
    page, watch = watched
    assert page.goto("/no-such-page/").status == 404
    page.wait_for_timeout(200)
    assert any("status of 404" in e for e in watch.unexpected())
    allow_refusal(page, 404, "/no-such-page/")
    assert watch.unexpected() == []
    watch.check()


def test_portal_pages_load_clean_with_the_favicon(watched):
    page, watch = watched
    for path in ("/", "/accounts/login/", "/signup/", "/accounts/password/reset/"):
        page.goto(path)
        page.wait_for_load_state("load")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon.endswith("favicon.svg")
    assert page.request.get(icon).status == 200
    watch.check()


def test_the_public_opt_in_page_loads_clean_on_its_own(watched, business):
    """The form's own page (its strict policy, no base template) opened directly."""
    from tests.factories.consent import OptInFormFactory

    page, watch = watched
    form = OptInFormFactory(business=business)
    assert page.goto(f"/f/{form.uuid}/").status == 200
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # the browser asks for /favicon.ico after the load
    watch.check()
