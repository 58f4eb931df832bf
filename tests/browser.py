"""Shared Playwright pieces: Debian's chromium, and pages that may reach only loopback.

A pytest plugin (tests/conftest.py): the fixtures ``chromium`` and ``owner_page`` are there
for every test module; ``guarded_page``, ``visitor_page``, ``signed_in_page``,
``dismiss_cookie_banner``, ``ConsoleWatch``, ``allow_console_errors``, ``allow_refusal``
and ``LoopbackSite`` are helpers to import.

Every page these helpers open is watched: a console error (a CSP violation such as "Refused
to apply inline style", a failed resource such as a missing favicon) or an uncaught script
error anywhere in the context fails the test when the context closes.
"""

import contextlib
import threading
import weakref
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


class ConsoleWatch:
    """Collects a browser context's console errors and uncaught page errors.

    Chromium reports a CSP violation ("Refused to apply inline style…", "Refused to execute
    inline script…", "Refused to load…") and a failed resource ("Failed to load resource: the
    server responded with a status of 404") as console errors, so one list catches them all.
    A test that provokes an error on purpose names it with ``allow_console_errors``.
    """

    def __init__(self, context) -> None:
        self.errors: list[tuple[str, str]] = []  # (text, the URL it happened at)
        self.allowed: list[tuple[str, str]] = []
        context.on("console", self._console)
        context.on("weberror", self._weberror)
        _watches[context] = self

    def _console(self, message) -> None:
        if message.type == "error":
            where = (message.location or {}).get("url") or (
                message.page.url if message.page else ""
            )
            self.errors.append((f"console error: {message.text}", where))

    def _weberror(self, web_error) -> None:
        where = web_error.page.url if web_error.page else ""
        self.errors.append((f"page error: {web_error.error}", where))

    def unexpected(self) -> list[str]:
        return [
            f"{text} (at {where})"
            for text, where in self.errors
            if not any(t in text and u in where for t, u in self.allowed)
        ]

    def check(self) -> None:
        unexpected = self.unexpected()
        assert not unexpected, "console errors in the browser:\n" + "\n".join(unexpected)


_watches: "weakref.WeakKeyDictionary[object, ConsoleWatch]" = weakref.WeakKeyDictionary()


def allow_console_errors(page, text: str, at: str = "") -> None:
    """Let console errors containing ``text`` that happen at a URL containing ``at`` pass,
    for the rest of the page's context: for a test that provokes one on purpose, such as a
    form answered 400 with its errors or a page refused with 403 (Chromium reports every
    document answered 4xx as "Failed to load resource")."""
    _watches[page.context].allowed.append((text, at))


def allow_refusal(page, status: int, at: str) -> None:
    """The page at a URL containing ``at`` is answered ``status`` on purpose."""
    allow_console_errors(page, f"the server responded with a status of {status}", at)


@contextlib.contextmanager
def guarded_page(browser, *, allowed: tuple[str, ...], **context_options):
    """A page in a fresh context; a request to a URL outside the ``allowed`` prefixes is
    aborted and fails the test, as does any console error or uncaught script error.
    ``context_options`` go to ``new_context`` (``base_url``)."""
    context = browser.new_context(**context_options)
    watch = ConsoleWatch(context)
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
    watch.check()


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
                if body is None and self.path == "/favicon.ico":
                    self.send_response(204)  # no icon, and no 404 in the console
                    self.end_headers()
                    return
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
