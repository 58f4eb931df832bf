"""Hostile input found by the second review (after issue 18): each was a 500 before.

- JSON nested thousands deep: Python's parser raises RecursionError (not ValueError), so
  every parser that catches ValueError let it through — the input-hygiene middleware
  (any URL, before authentication, when the body holds a ``\\u`` escape), DRF's JSON
  parser (every API write), the public opt-in form and the portal's compose check.
- A page size written in non-ASCII digits (``²``): ``str.isdigit`` says yes, ``int`` says no.
"""

import pytest
from django.urls import reverse

from tests.factories.consent import OptInFormFactory

pytestmark = pytest.mark.django_db

SITE = "https://brightsmile.example"
DEEP = "[" * 5000 + "]" * 5000
# a \u escape is what makes the hygiene middleware parse a body
DEEP_ESCAPED = '{"name": "\\u0041nn", "x": ' + DEEP + "}"
DEPTH_MESSAGE = "Nested too deeply"


def _assert_refused(response):
    assert response.status_code == 400, response.content[:300]
    if response["Content-Type"].startswith("text/html"):  # a page for a browser's post
        assert DEPTH_MESSAGE in response.content.decode()
        return
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert DEPTH_MESSAGE in str(error["fields"])


@pytest.mark.parametrize("body", [DEEP, DEEP_ESCAPED], ids=["plain", "escaped"])
@pytest.mark.parametrize(
    "url", ["/api/v1/messages/", "/api/v1/contacts/", "/api/v1/segments/", "/accounts/login/"]
)
def test_deep_json_without_credentials_is_a_400_never_a_500(client, url, body):
    response = client.post(url, body, content_type="application/json")
    assert response.status_code in (400, 401, 403), response.content[:300]
    if response.status_code == 400:
        _assert_refused(response)


@pytest.mark.parametrize("body", [DEEP, DEEP_ESCAPED], ids=["plain", "escaped"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/messages/",
        "/api/v1/contacts/",
        "/api/v1/segments/",
        "/api/v1/broadcasts/estimate/",
        "/api/v1/webhooks/",
        "/api/v1/policy/check",
    ],
)
def test_deep_json_to_the_api_is_a_400_in_the_error_shape(api_client, url, body):
    _assert_refused(api_client.post(url, body, content_type="application/json"))


@pytest.mark.parametrize("body", [DEEP, DEEP_ESCAPED], ids=["plain", "escaped"])
def test_deep_json_to_the_public_opt_in_form_is_a_400(client, business, body):
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    url = reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})
    _assert_refused(client.post(url, body, content_type="application/json", HTTP_ORIGIN=SITE))


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_deep_body_to_the_compose_check_is_a_400(owner_client, content_type):
    response = owner_client.post(
        reverse("messaging:compose-check"), DEEP, content_type=content_type
    )
    _assert_refused(response)


def test_json_nested_as_deep_as_a_real_client_needs_still_parses(api_client):
    # 20 levels: far more than any of our payloads has; the body is refused for what it
    # says (an unknown field shape), not for its depth
    body = '{"to": "+13125550101", "body": "hi", "metadata": ' + "[" * 20 + "]" * 20 + "}"
    response = api_client.post("/api/v1/messages/", body, content_type="application/json")
    assert response.status_code != 500
    assert DEPTH_MESSAGE not in response.content.decode()


@pytest.mark.parametrize("size", ["²", "١٠", "５０"])
@pytest.mark.parametrize("url", ["/api/v1/messages/", "/api/v1/contacts/"])
def test_a_page_size_in_other_digits_is_a_400(api_client, url, size):
    response = api_client.get(url, {"page_size": size})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "page_size": ["Use a whole number from 1 to 500."]
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"area_code": "²²²"}, "area_code"),
        ({"area_code": "303", "limit": "-1"}, "limit"),
        ({"area_code": "303", "limit": "99999999999999999999"}, "limit"),
    ],
)
def test_a_number_search_with_odd_digits_or_limits_is_a_400_before_the_provider(
    api_client, params, field
):
    # before: "²²²" passed str.isdigit() and reached int() in the Twilio back end (a 500);
    # any limit went to Twilio's client, which pages until it has that many
    response = api_client.get("/api/v1/numbers/available/", params)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


@pytest.mark.parametrize(
    "origin",
    [
        "https://a.example;script-src 'unsafe-inline' *;report-uri x",  # more CSP directives
        "https://*",  # any site may frame the form (clickjacked opt-ins)
        "https://*.example",
        "https://a.example%0d%0ax",
        "https://a b.example",
        "https://'self'",
    ],
)
def test_an_allowed_origin_that_is_no_host_is_refused_not_written_into_the_csp(
    api_client, business, client, origin
):
    # before: any text urlsplit gave a "hostname" for went into frame-ancestors verbatim
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    response = api_client.patch(
        f"/api/v1/optin-forms/{form.uuid}/",
        {"allowed_origins": [origin, SITE]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["allowed_origins"]
    policy = client.get(reverse("consent:public-form", kwargs={"form_uuid": form.uuid}))[
        "Content-Security-Policy"
    ]
    assert policy.endswith(f"frame-ancestors 'self' {SITE}")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://WWW.Bright-Smile.example:8443/", "https://www.bright-smile.example:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),  # what browsers send
        ("http://127.0.0.1:8700", "http://127.0.0.1:8700"),
        ("https://[::1]:8443", "https://[::1]:8443"),
    ],
)
def test_real_origins_are_kept_in_the_form_browsers_send(api_client, business, given, stored):
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    response = api_client.patch(
        f"/api/v1/optin-forms/{form.uuid}/", {"allowed_origins": [given]}, format="json"
    )
    assert response.status_code == 200, response.content
    form.refresh_from_db()
    assert form.allowed_origins == [stored]


@pytest.mark.parametrize("value", ["2026-02-30T10:00:00Z", "2026-01-01T25:00", "2026-13-01"])
def test_evidence_dated_on_no_such_day_is_a_validation_error_not_a_value_error(value):
    # parse_datetime raised ValueError for these before the fallback's handler was reached
    from accounts.errors import ValidationFailed
    from consent.inputs import clean_evidence

    with pytest.raises(ValidationFailed):
        clean_evidence({"consented_at": value})


@pytest.mark.parametrize(
    "extra",
    [{}, {"HTTP_USER_AGENT": "u" * 2000}, {"HTTP_ACCEPT": "text/html," * 300}],
    ids=["plain", "long-agent", "long-accept"],
)
def test_a_login_with_a_name_longer_than_any_email_is_a_form_error_not_a_500(client, extra):
    # django-axes stored the typed name of every failed login in a varchar(255): a longer
    # one was a DataError (an unauthenticated 500) before the lockout was counted
    response = client.post(
        reverse("login"), {"username": "x" * 300 + "@example.com", "password": "p"}, **extra
    )
    assert response.status_code == 200
    assert "correct email and password" in response.content.decode().replace("\n", " ")
