"""Shared Playwright pieces: Debian's chromium, and a page signed in as a member.

A pytest plugin (tests/conftest.py): the fixtures ``chromium`` and ``owner_page`` are there
for every test module; ``signed_in_page`` is a helper to import.
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
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def signed_in_page(browser, live_server, membership):
    """A page logged in as ``membership``; any request off the live server fails the test."""
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["current_business"] = str(membership.business.uuid)
    session.save()
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    outside = []

    def guard(route):
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"third-party requests: {outside}"


@pytest.fixture
def owner_page(chromium, live_server, owner):
    with signed_in_page(chromium, live_server, owner) as page:
        yield page
