"""The API's lean views run through the middleware an API-key request needs
(``accounts.api.chain``, issue 18 finding 9): the same answers and security headers as
through the whole stack, the input hygiene's 400 still there; every other URL, the portal's
included, keeps the whole stack."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.api import chain
from tests.conftest import make_api_client
from tests.factories.messaging import consenting_contact, sending_number

URL = "/api/v1/messages/"
BODY = "Your appointment is tomorrow at 3pm. Reply STOP to opt out."
SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
)
# differ by request; Vary: Cookie is the session middleware's (see test_lean_send._same)
VARYING = {"X-Request-ID", "Content-Length", "Vary"}


def _whole_stack(settings) -> None:
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.api.chain.LeanChainMiddleware"
    ]


def _headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in VARYING}


@pytest.fixture
def sends(business):
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number, phone="+16465550142")
    send = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    return [
        ({**send, "from_number": str(number.uuid)}, 201),
        ({**send, "body": ""}, 400),
        ({"to": "+16465550142", "kind": "transactional", "body": BODY, "media": []}, 201),  # DRF
        ({"to": "nope", "kind": "sms", "body": BODY}, 400),
    ]


def test_the_chain_is_the_stack_less_the_portal_s_middleware(settings):
    kept = chain.lean_chain_middleware()
    assert kept == [
        "accounts.privacy.cookies.CookieGateMiddleware",
        "config.observability.RequestIdMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",  # its cookie; lean views are exempt
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "config.middleware.SecurityHeadersMiddleware",
        "accounts.hygiene.InputHygieneMiddleware",  # inside the headers: its 400 has them
    ]
    assert settings.MIDDLEWARE[0] == "accounts.api.chain.LeanChainMiddleware"
    # a middleware added later is in the short chain unless it is skipped by name
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.accounts.test_api_chain.Marker"]
    assert chain.lean_chain_middleware()[-1] == "tests.accounts.test_api_chain.Marker"


class Marker:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Marker"] = "1"
        return response


class WithViewHook(Marker):
    def process_view(self, request, view, args, kwargs):
        return None


def test_a_kept_middleware_with_hooks_it_would_skip_is_refused(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.accounts.test_api_chain.WithViewHook"]
    with pytest.raises(ImproperlyConfigured, match="process_view"):
        chain.LeanChainMiddleware(lambda request: None)


def test_a_send_answers_as_through_the_whole_stack(owner, sends, settings):
    short = [make_api_client(owner).post(URL, p, format="json") for p, _ in sends]
    _whole_stack(settings)
    whole = [make_api_client(owner).post(URL, p, format="json") for p, _ in sends]
    for (payload, status), a, b in zip(sends, short, whole, strict=True):
        assert a.status_code == b.status_code == status, (payload, a.content)
        assert _headers(a) == _headers(b), payload
        for name in SECURITY_HEADERS:
            assert a.headers[name] == b.headers[name], name
        assert a.headers["X-Request-ID"]
        assert int(a.headers["Content-Length"]) == len(a.content)
        assert "Cookie" not in a.headers.get("Vary", "") and not a.cookies
        if status == 400:
            assert a.json() == b.json()


def test_a_marker_middleware_runs_on_the_short_chain(owner, sends, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.accounts.test_api_chain.Marker"]
    payload, _ = sends[0]
    response = make_api_client(owner).post(URL, payload, format="json")
    assert response.status_code == 201 and response.headers["X-Marker"] == "1"


def test_the_input_hygiene_refuses_a_nul_on_the_short_chain(owner, sends):
    payload, _ = sends[0]
    response = make_api_client(owner).post(URL, {**payload, "body": "a\x00b"}, format="json")
    assert response.status_code == 400
    assert response.headers["X-Frame-Options"] == "DENY"  # inside the header middleware
    assert "default-src" in response.headers["Content-Security-Policy"]
    assert response.json()["error"]["fields"] == {
        "body": [response.json()["error"]["fields"]["body"][0]]
    }


def test_the_session_is_not_read_for_a_send(owner, sends):
    """The short chain reads no session even with a session cookie sent along."""
    payload, _ = sends[0]
    api = make_api_client(owner)
    api.cookies["sessionid"] = "x" * 32
    with CaptureQueriesContext(connection) as queries:
        response = api.post(URL, payload, format="json")
    assert response.status_code == 201
    assert not [q for q in queries.captured_queries if "django_session" in q["sql"]]


def test_other_urls_keep_the_whole_stack(owner_client, owner, business):
    # an API URL that is not a lean view: the session middleware is there (Vary: Cookie)
    api = make_api_client(owner)
    listed = api.get("/api/v1/contacts/")
    assert listed.status_code == 200
    # the portal: the signed-in member's session, CSRF cookie and security headers
    page = owner_client.get("/")
    assert page.status_code in (200, 302)
    login = Client().get("/accounts/login/")
    assert login.status_code == 200 and "csrftoken" in login.cookies
    assert "Cookie" in login.headers["Vary"]
    for name in SECURITY_HEADERS:
        assert name in login.headers, name


def test_a_lean_url_s_404_and_other_methods(owner, business):
    api = make_api_client(owner)
    assert api.get(URL).status_code == 200  # the list, through the DRF view on the chain
    assert api.post("/api/v1/messages/nope/", {}, format="json").status_code == 404
