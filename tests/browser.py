"""Shared Playwright pieces: Debian's chromium, and pages that may reach only loopback.

A pytest plugin (tests/conftest.py): the fixtures ``chromium`` and ``owner_page`` are there
for every test module; ``guarded_page``, ``visitor_page`` and ``signed_in_page`` are
helpers to import.
"""

import contextlib

import pytest
from django.test import Client
from playwright.sync_api import sync_playwright

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
