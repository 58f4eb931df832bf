"""Shared Playwright pieces: Debian's chromium, and pages that may reach only loopback.

A pytest plugin (tests/conftest.py): the fixtures ``chromium`` and ``owner_page`` are there
for every test module; ``guarded_page``, ``visitor_page``, ``signed_in_page``,
``dismiss_cookie_banner`` and ``LoopbackSite`` are helpers to import.
"""

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from playwright.sync_api import expect, sync_playwright

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def chromium():
    """One browser per module: two sync Playwright loops cannot run in one thread at once,
    so every browser test launches it here and nowhere else."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def guarded_page(browser, *, allowed: tuple[str, ...], **context_options):
    """A page in a fresh context; a request to a URL outside the ``allowed`` prefixes is
    aborted and fails the test. ``context_options`` go to ``new_context`` (``base_url``)."""
    context = browser.new_context(**context_options)
    outside = []

    def guard(route):
        if route.request.url.startswith(allowed):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()
    assert not outside, f"requests outside {allowed}: {outside}"


@contextlib.contextmanager
def visitor_page(browser, live_server):
    """A page with no one signed in; any request off the live server fails the test."""
    with guarded_page(browser, allowed=(live_server.url,), base_url=live_server.url) as page:
        yield page


@contextlib.contextmanager
def signed_in_page(browser, live_server, membership):
    """A page logged in as ``membership``; any request off the live server fails the test."""
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["current_business"] = str(membership.business.uuid)
    session.save()
    session_id = client.cookies["sessionid"].value
    with visitor_page(browser, live_server) as page:
        page.context.add_cookies(
            [{"name": "sessionid", "value": session_id, "url": live_server.url}]
        )
        yield page


@pytest.fixture
def owner_page(chromium, live_server, owner):
    with signed_in_page(chromium, live_server, owner) as page:
        yield page


def dismiss_cookie_banner(page) -> None:
    """Answer the cookie banner with "Reject all" if this page shows it.

    The choice is a plain form post: the server stores it and redirects back to the same
    URL, so the page reloads without the banner. Waiting for that load keeps the test's
    next step off the page being replaced.
    """
    banner = page.locator("#cookie-banner")
    if banner.count() and banner.is_visible():
        with page.expect_navigation():
            banner.get_by_role("button", name="Reject all").click()
        expect(banner).to_have_count(0)


class LoopbackSite:
    """A website on its own loopback origin serving ``pages`` (path -> HTML), such as a
    business's site embedding the opt-in form. Use it as a context manager."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> "LoopbackSite":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
