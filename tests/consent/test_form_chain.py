"""The public form's submit is a lean view (issue 18 finding 9, session 10): it runs through
the middleware a request that no session or cookie authenticates needs
(``accounts.api.chain``). Every answer — JSON and the plain HTML form's, accepted, refused,
invalid, replayed, hygiene's 400, the preflight, a GET — is the whole stack's, headers
included; the portal's pages keep the whole stack (tests/accounts/test_api_chain.py)."""

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver

from accounts.api import chain
from consent.models import ConsentEvent, Contact
from tests.consent.test_embed import _iframe_token
from tests.factories.consent import OptInFormFactory

pytestmark = pytest.mark.django_db

SITE = "https://brightsmile.example"
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
)
VARYING = {"X-Request-ID", "Content-Length"}  # differ by request
# what differs between two renderings of the same page: the CSP nonce, the fresh token
# (and the phone number: each chain signs up its own)
# (and the phone number: each chain signs up its own; and the masked CSRF token, new each time)
NONCE = re.compile(
    r"nonce-[\w-]+|nonce=\"[\w-]+\"|name=\"(?:token|csrfmiddlewaretoken)\" value=\"[^\"]+\""
    r"|3125550\d\d\d"
)


def _whole_stack(settings) -> None:
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.api.chain.LeanChainMiddleware"
    ]


def _headers(response) -> dict:
    """The headers, but Vary less Cookie: the whole stack's pages read the session (the
    templates' user), so they vary by it; the short chain's answers do not depend on it."""
    headers = {k: NONCE.sub("", v) for k, v in response.headers.items() if k not in VARYING}
    vary = [v.strip() for v in headers.pop("Vary", "").split(",") if v.strip() != "Cookie"]
    return {**headers, "Vary": ", ".join(v for v in vary if v)}


@pytest.fixture
def form(business):
    return OptInFormFactory(business=business, allowed_origins=[SITE])


def _requests(form, phone: str) -> list:
    """(label, a function of a client that makes the request), each a new phone number."""
    url = f"/f/{form.uuid}/submit/"
    good = {"phone": phone, "consent": "1", "age_confirmed": "1"}

    def plain(data, origin=SITE):
        return lambda c: c.post(url, data, HTTP_ORIGIN=origin)

    def as_json(data, origin=SITE):
        return lambda c: c.post(
            url, json.dumps(data), content_type="application/json", HTTP_ORIGIN=origin
        )

    def iframe(data):  # our own page's form: a token from the page, posted back to us
        return lambda c: c.post(
            url, {**data, "token": _iframe_token(c, form)}, HTTP_ORIGIN="http://testserver"
        )

    return [
        ("html accepted", plain(good)),
        ("html invalid: re-shown with errors", plain({**good, "consent": ""})),
        ("html from a site not allowed", plain(good, origin="https://evil.example")),
        ("html NUL byte", plain({**good, "name": "a\x00b"})),
        ("iframe accepted", iframe({**good, "phone": phone[:-1] + "9"})),
        ("iframe invalid phone", iframe({**good, "phone": "12"})),
        ("json without a token", as_json(good)),
        (
            "json not an object",
            lambda c: c.post(url, "[1]", content_type="application/json", HTTP_ORIGIN=SITE),
        ),
        (
            "json lone surrogate",
            lambda c: c.post(
                url,
                '{"phone": "3125550100", "name": "\\ud800"}',
                content_type="application/json",
                HTTP_ORIGIN=SITE,
            ),
        ),
        ("preflight", lambda c: c.options(url, HTTP_ORIGIN=SITE)),
        ("get", lambda c: c.get(url)),
        (
            "unknown form",
            lambda c: c.post(
                "/f/00000000-0000-4000-8000-000000000000/submit/", good, HTTP_ORIGIN=SITE
            ),
        ),
    ]


def test_the_submit_is_a_lean_view_and_the_form_page_is_not():
    paths = [regex.pattern for regex in chain.lean_paths(get_resolver())]
    assert any(p.startswith("^/f/") and p.endswith("/submit/\\Z") for p in paths)
    assert not any(p.endswith("/config.json") for p in paths)
    assert len([p for p in paths if p.startswith("^/f/")]) == 1


def test_every_answer_is_the_whole_stacks(form, business, settings):
    short = [(label, make(Client())) for label, make in _requests(form, "3125550160")]
    _whole_stack(settings)
    whole = [(label, make(Client())) for label, make in _requests(form, "3125550170")]
    for (label, a), (_, b) in zip(short, whole, strict=True):
        assert a.status_code == b.status_code, (label, a.content[:300])
        assert _headers(a) == _headers(b), label
        assert NONCE.sub("", a.content.decode()) == NONCE.sub("", b.content.decode()), label
        for name in SECURITY_HEADERS:
            assert (name in a.headers) == (name in b.headers), (label, name)
        assert a.headers["X-Request-ID"] and int(a.headers["Content-Length"]) == len(a.content)
        # the same cookies (the CSRF cookie of a page whose cookie banner has a form), no session
        assert sorted(a.cookies) == sorted(b.cookies) and "sessionid" not in a.cookies, label
        assert all(name in a.headers for name in SECURITY_HEADERS), label
    statuses = {label: a.status_code for label, a in short}
    assert statuses["html accepted"] == statuses["iframe accepted"] == 200
    assert statuses["html invalid: re-shown with errors"] == 400
    assert statuses["html from a site not allowed"] == 403
    assert statuses["html NUL byte"] == statuses["json lone surrogate"] == 400
    # each chain recorded its own two sign-ups, nothing for the refused ones
    assert Contact.objects.filter(business=business).count() == 4
    assert ConsentEvent.objects.filter(business=business).count() == 4


def test_no_session_is_read_for_a_submission(form, business):
    client = Client()
    client.cookies["sessionid"] = "x" * 32
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            f"/f/{form.uuid}/submit/",
            {"phone": "3125550180", "consent": "1", "age_confirmed": "1"},
            HTTP_ORIGIN=SITE,
        )
    assert response.status_code == 200
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]
    assert "Cookie" not in response.headers.get("Vary", "")
