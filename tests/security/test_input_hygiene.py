"""Input hygiene at the edges (issue 18, findings 4 and 5): NUL bytes and lone surrogates
are a 400 (API: the one error shape; HTML: a page naming the field), never a 500;
custom fields have limits; names are text; numbers that cannot receive texts are refused
with their reason in the API, the portal form, the public form and an import."""

import json

import pytest
from django.urls import reverse

from consent.models import ConsentEvent, Contact
from tests.factories.consent import OptInFormFactory

pytestmark = pytest.mark.django_db

SITE = "https://brightsmile.example"
GOOD = {"phone": "3125550181", "consent": "1", "age_confirmed": "1"}
POISONS = ["Ann\x00e", "Ann\ud800e", "\udfff"]


@pytest.fixture
def form(business):
    return OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)


def _submit(form):
    return reverse("consent:public-form-submit", kwargs={"form_uuid": form.uuid})


def _config(form):
    return reverse("consent:public-form-config", kwargs={"form_uuid": form.uuid})


@pytest.mark.parametrize("field", ["name", "email", "page_url", "phone"])
@pytest.mark.parametrize("poison", POISONS)
def test_public_form_json_with_nul_or_surrogate_is_a_400_in_the_error_shape(
    client, business, form, field, poison
):
    token = client.get(_config(form), HTTP_ORIGIN=SITE).json()["token"]
    body = json.dumps({**GOOD, field: poison, "token": token})  # "\ud800" escaped in JSON
    response = client.post(_submit(form), body, content_type="application/json", HTTP_ORIGIN=SITE)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and list(error["fields"]) == [field]
    assert not Contact.objects.filter(business=business).exists()


@pytest.mark.parametrize("field", ["name", "email", "page_url", "phone"])
def test_public_form_post_with_nul_is_a_form_error_page(client, business, form, field):
    response = client.post(_submit(form), {**GOOD, field: "Ann\x00e"}, HTTP_ORIGIN=SITE)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Please correct the form" in page and f"<li>{field}</li>" in page
    assert not Contact.objects.filter(business=business).exists()


def test_a_nul_key_in_a_json_body_is_refused_too(client, form):
    body = '{"phone": "3125550181", "na\\u0000me": "x"}'
    response = client.post(_submit(form), body, content_type="application/json", HTTP_ORIGIN=SITE)
    assert response.status_code == 400 and response.json()["error"]["fields"]


def test_an_object_as_a_name_is_a_400_not_a_stored_name(client, business, form):
    token = client.get(_config(form), HTTP_ORIGIN=SITE).json()["token"]
    body = json.dumps({**GOOD, "name": {"first": "Ann"}, "token": token})
    response = client.post(_submit(form), body, content_type="application/json", HTTP_ORIGIN=SITE)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"name": ["Must be text."]}
    assert not Contact.objects.filter(business=business).exists()


@pytest.mark.parametrize(
    ("url", "param"),
    [("/api/v1/contacts/", "search"), ("/api/v1/consent-events/", "contact")],
)
def test_api_query_parameters_with_nul_are_a_400(api_client, url, param):
    response = api_client.get(url, {param: "ab\x00c"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        param: ["Contains a character we cannot accept (a NUL byte or broken Unicode)."]
    }


def test_portal_search_with_nul_is_a_400_page(owner_client):
    response = owner_client.get(reverse("consent:contacts"), {"q": "ab\x00c"})
    assert response.status_code == 400
    assert "<li>q</li>" in response.content.decode()


def test_the_refusal_carries_the_security_headers(owner_client, api_client):
    """The 400 comes from inside the header middleware: the page may not be framed and has
    the CSP like every other page; the API's answer too."""
    page = owner_client.get(reverse("consent:contacts"), {"q": "a\x00b"})
    api = api_client.get("/api/v1/contacts/", {"search": "a\x00b"})
    for response in (page, api):
        assert response.status_code == 400
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src" in response.headers["Content-Security-Policy"]


def test_api_contact_with_nul_in_custom_fields_is_a_400(api_client):
    response = api_client.post(
        "/api/v1/contacts/",
        {"phone": "3125550190", "custom_fields": {"store": "Main\x00St"}},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["custom_fields.store"]


@pytest.mark.parametrize(
    ("custom", "field", "message"),
    [
        ({f"k{i}": "v" for i in range(51)}, "custom_fields", "At most 50 fields."),
        ({"k" * 65: "v"}, "custom_fields", "Each name must be 1 to 64 characters."),
        ({"": "v"}, "custom_fields", "Each name must be 1 to 64 characters."),
        ({"store": "x" * 501}, "custom_fields.store", "At most 500 characters."),
        ({"store": {"nested": 1}}, "custom_fields.store", "Must be text or a number."),
    ],
)
def test_custom_fields_have_count_and_length_limits(api_client, business, custom, field, message):
    response = api_client.post(
        "/api/v1/contacts/", {"phone": "3125550191", "custom_fields": custom}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"][field] == [message]
    assert not Contact.objects.filter(business=business).exists()


def test_custom_fields_within_the_limits_are_kept(api_client, business):
    custom = {f"k{i}": "v" * 500 for i in range(50)}
    response = api_client.post(
        "/api/v1/contacts/", {"phone": "3125550192", "custom_fields": custom}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Contact.objects.get(business=business).custom_fields == custom


def test_an_object_as_a_contact_name_is_a_400(api_client, business):
    response = api_client.post(
        "/api/v1/contacts/", {"phone": "3125550193", "name": {"a": 1}}, format="json"
    )
    assert response.status_code == 400 and "name" in response.json()["error"]["fields"]
    assert not Contact.objects.filter(business=business).exists()


# --- numbers that cannot receive texts (finding 5) -----------------------------------------

REFUSED = [
    ("+1 900 555 0123", "Premium-rate numbers (+1 900) cannot receive texts."),
    ("+1 800 555 0123", "Toll-free numbers cannot be recipients"),
    ("1-800-FLOWERS", "letters (as in 1-800-FLOWERS) are not allowed"),
    ("tel:+13125550123", "not a tel: link"),
    ("+44 20 7946 0958", "Only US mobile numbers"),
]


@pytest.mark.parametrize(("phone", "reason"), REFUSED)
def test_api_refuses_numbers_that_cannot_receive_texts(api_client, business, phone, reason):
    response = api_client.post("/api/v1/contacts/", {"phone": phone}, format="json")
    assert response.status_code == 400
    assert reason in response.json()["error"]["fields"]["phone"][0]
    assert not Contact.objects.filter(business=business).exists()


@pytest.mark.parametrize(("phone", "reason"), REFUSED)
def test_public_form_shows_why_a_number_is_refused(client, business, form, phone, reason):
    token = client.get(_config(form), HTTP_ORIGIN=SITE).json()["token"]
    response = client.post(
        _submit(form),
        json.dumps({**GOOD, "phone": phone, "token": token}),
        content_type="application/json",
        HTTP_ORIGIN=SITE,
    )
    assert response.status_code == 400
    assert reason in response.json()["error"]["fields"]["phone"][0]
    assert not ConsentEvent.objects.filter(business=business).exists()


def test_toll_free_recipients_when_allowed(api_client, business, settings):
    settings.CONSENT_TOLL_FREE_RECIPIENTS = True
    response = api_client.post("/api/v1/contacts/", {"phone": "+18005550123"}, format="json")
    assert response.status_code == 201
    assert Contact.objects.get(business=business).phone == "+18005550123"


def test_an_import_rejects_each_such_row_by_line_with_its_reason(business):
    from consent import import_file

    content = (
        b"phone,name\n+13125550111,Ok\n+19005550123,Premium\n1-800-FLOWERS,Vanity\n"
        b"tel:+13125550112,Link\n+14165550123,Toronto\n+18885550123,Toll free\n"
    )
    reading = import_file.Reading()
    good = list(import_file.rows(content, {"phone": "phone", "name": "name"}, reading))
    rejected = {r["line"]: r["reason"] for r in reading.rejected}
    assert [row.phone for row in good] == ["+13125550111"]
    assert "Premium-rate" in rejected[3]
    assert "letters" in rejected[4]
    assert "tel: link" in rejected[5]
    assert "Only US" in rejected[6]
    assert "Toll-free" in rejected[7]


def test_the_carrier_lookup_hook_answers_a_line_type():
    from messaging.providers import get_provider
    from messaging.providers.base import MOBILE, LineType, Provider

    answer = get_provider("simulated").line_type("+13125550123")
    assert answer == LineType(phone="+13125550123", line_type=MOBILE, carrier="Simulated Wireless")
    assert answer.can_receive_texts
    assert not LineType(phone="+13125550123", line_type="landline").can_receive_texts
    with pytest.raises(NotImplementedError):
        Provider().line_type("+13125550123")
