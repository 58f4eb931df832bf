"""The compose page's contact picker: its search endpoint is this business's only, and the
page carries the picker's markup (static/js/messaging.js drives it)."""

import pytest
from django.utils import timezone

from accounts.roles import Role
from tests.factories.consent import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/app/compose/contacts/"


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_a_name_finds_this_businesss_contacts_only(owner_client, business, other_business):
    dana = ContactFactory(business=business, name="Dana Client", phone="+12125550155")
    ContactFactory(business=business, name="Robin Other")
    ContactFactory(business=other_business, name="Dana Stranger")  # never shown
    response = owner_client.get(URL, {"q": "dan"})
    assert _names(response) == ["Dana Client"]
    assert response.json()["results"] == [
        {"uuid": str(dana.uuid), "name": "Dana Client", "phone": "+12125550155"}
    ]


def test_by_number_and_by_email(owner_client, business):
    ContactFactory(business=business, name="Ana", phone="+12125550177", email="ana@x.example")
    assert _names(owner_client.get(URL, {"q": "555-0177"})) == ["Ana"]
    assert _names(owner_client.get(URL, {"q": "ana@x"})) == ["Ana"]


def test_short_or_empty_queries_list_nothing(owner_client, business):
    ContactFactory(business=business, name="Dana")
    assert _names(owner_client.get(URL)) == []
    assert _names(owner_client.get(URL, {"q": " d "})) == []


def test_erased_contacts_are_not_offered(owner_client, business):
    ContactFactory(business=business, name="Dana Gone", erased_at=timezone.now())
    assert _names(owner_client.get(URL, {"q": "dana"})) == []


def test_at_most_eight(owner_client, business):
    for i in range(12):
        ContactFactory(business=business, name=f"Dana {i}")
    assert len(_names(owner_client.get(URL, {"q": "dana"}))) == 8


def test_a_long_query_is_cut_not_an_error(owner_client, business):
    assert _names(owner_client.get(URL, {"q": "d" * 5000})) == []


def test_anonymous_is_sent_to_log_in(client, business):
    ContactFactory(business=business, name="Dana")
    response = client.get(URL, {"q": "dana"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_viewer_may_not_send_so_may_not_search(client, login, members, business):
    ContactFactory(business=business, name="Dana")
    login(client, members[Role.VIEWER])
    assert client.get(URL, {"q": "dana"}).status_code == 403


def test_another_businesss_member_sees_only_their_own(client, login, other_owner, business):
    ContactFactory(business=business, name="Dana")
    login(client, other_owner)
    assert _names(client.get(URL, {"q": "dana"})) == []


def test_the_compose_page_carries_the_picker(owner_client, number):
    html = owner_client.get("/app/compose/").content.decode()
    assert 'data-contact-picker data-url="/app/compose/contacts/"' in html
    assert 'role="combobox"' in html and 'role="listbox"' in html
    assert "<script>" not in html and "style=" not in html  # nothing the CSP would block
