"""Cookie consent: the banner, the recorded choice, the gate, the usage log it governs."""

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.urls import reverse

from accounts.privacy import cookies
from accounts.privacy.models import CookieConsentRecord, UsageLogEntry

CONSENT = "cyc_cookie_consent"
ESSENTIAL_NAMES = {"csrftoken", "sessionid", "messages", CONSENT}


def choose(client, action, **extra):
    data = {"action": action, "next": "/cookies/", **extra}
    return client.post(reverse("cookie-consent"), data, REMOTE_ADDR="203.0.113.77")


@pytest.mark.django_db
def test_banner_on_public_page_and_only_essential_cookies_before_a_choice(client):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert 'id="cookie-banner"' in html
    assert "Accept all" in html and "Reject all" in html and "Customise" in html
    assert 'id="footer-cookie-settings"' in html
    assert set(response.cookies) <= ESSENTIAL_NAMES
    assert CONSENT not in response.cookies  # no choice made, nothing stored


@pytest.mark.django_db
def test_banner_in_the_portal_too(owner_client):
    response = owner_client.get(reverse("portal:dashboard"))
    assert 'id="cookie-banner"' in response.content.decode()


@pytest.mark.django_db
def test_accept_all_records_the_choice_and_hides_the_banner(client):
    response = choose(client, "accept_all")
    assert response.status_code == 302 and response["Location"] == "/cookies/"
    record = CookieConsentRecord.objects.get()
    assert record.choices == {
        "essential": True,
        "performance": True,
        "functionality": True,
        "advertising": True,
    }
    assert record.method == "accept_all"
    assert record.policy_version == "2026-11-28"
    assert record.ip_anonymised == "203.0.113.0"
    assert record.user is None
    morsel = response.cookies[CONSENT]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    page = client.get(reverse("home")).content.decode()
    assert 'id="cookie-banner"' not in page


@pytest.mark.django_db
def test_reject_all_and_customise(client):
    choose(client, "reject_all")
    request = RequestFactory().get("/")
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    assert not cookies.consent_allows(request, "performance")
    assert cookies.consent_allows(request, "essential")

    choose(client, "customise", performance="on")
    records = list(CookieConsentRecord.objects.order_by("created_at", "id"))
    assert [r.method for r in records] == ["reject_all", "customise"]
    assert records[1].choices["performance"] is True
    assert records[1].choices["advertising"] is False
    # the same browser: the first record is kept, both carry one browser id
    assert records[0].browser_id == records[1].browser_id
    request = RequestFactory().get("/")
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    assert cookies.consent_allows(request, "performance")
    assert not cookies.consent_allows(request, "advertising")


@pytest.mark.django_db
def test_logged_in_choice_is_linked_to_the_person(owner_client, owner):
    choose(owner_client, "reject_all")
    assert CookieConsentRecord.objects.get().user == owner.user


@pytest.mark.django_db
def test_settings_page_shows_the_current_choice_and_the_cookie_list(client):
    page = client.get(reverse("cookie-settings")).content.decode()
    assert "You have not made a choice yet" in page
    assert "csrftoken" in page and CONSENT in page
    choose(client, "customise", functionality="on")
    page = client.get(reverse("cookie-settings")).content.decode()
    assert "Functionality allowed" in page and "Performance and analytics refused" in page


@pytest.mark.django_db
def test_bad_action_is_a_form_error_and_unsafe_next_is_ignored(client):
    response = client.post(reverse("cookie-consent"), {"action": "sell_everything"})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not CookieConsentRecord.objects.exists()
    response = client.post(
        reverse("cookie-consent"), {"action": "reject_all", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_a_new_policy_version_asks_again(client):
    choose(client, "accept_all")
    assert 'id="cookie-banner"' not in client.get("/").content.decode()
    with override_settings(COOKIE_POLICY_VERSION="2027-01-01"):
        assert 'id="cookie-banner"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_tampered_consent_cookie_counts_as_no_choice(client):
    choose(client, "reject_all")
    value = client.cookies[CONSENT].value
    client.cookies[CONSENT] = value.replace("|000|", "|111|")
    request = RequestFactory().get("/")
    request.COOKIES = {CONSENT: client.cookies[CONSENT].value}
    assert cookies.current_choice(request) is None
    assert 'id="cookie-banner"' in client.get("/").content.decode()


# --- the gate ---------------------------------------------------------------------------


def _request_with_choice(client, action=None, **extra):
    if action:
        choose(client, action, **extra)
    request = RequestFactory().get("/")
    request.COOKIES = {k: v.value for k, v in client.cookies.items()}
    return request


def _gate(request, set_cookies):
    def view(_request):
        response = HttpResponse("ok")
        set_cookies(response)
        return response

    return cookies.CookieGateMiddleware(view)(request)


@pytest.fixture
def prefs_cookie():
    cookies.register_cookie(name="cyc_layout", category="functionality", purpose="table density")
    yield "cyc_layout"
    cookies._registry.pop("cyc_layout", None)


@pytest.mark.django_db
def test_gate_drops_unregistered_and_unconsented_cookies(client, prefs_cookie):
    request = _request_with_choice(client)

    def setter(response):
        response.set_cookie("_ga", "tracker")
        response.set_cookie(prefs_cookie, "compact")
        response.set_cookie("csrftoken", "x")
        response.delete_cookie("old_thing")

    response = _gate(request, setter)
    assert "_ga" not in response.cookies  # nobody registered it
    assert prefs_cookie not in response.cookies  # no consent for functionality
    assert "csrftoken" in response.cookies  # essential
    assert "old_thing" in response.cookies  # deleting is always allowed


@pytest.mark.django_db
def test_gate_keeps_a_consented_cookie(client, prefs_cookie):
    request = _request_with_choice(client, "customise", functionality="on")
    response = _gate(request, lambda r: r.set_cookie(prefs_cookie, "compact"))
    assert response.cookies[prefs_cookie].value == "compact"


@pytest.mark.django_db
def test_set_optional_cookie_refuses_without_consent(client, prefs_cookie):
    request = _request_with_choice(client, "reject_all")
    response = HttpResponse()
    assert not cookies.set_optional_cookie(
        request, response, key=prefs_cookie, value="compact", category="functionality"
    )
    assert prefs_cookie not in response.cookies
    with pytest.raises(ValueError, match="Register"):
        cookies.set_optional_cookie(
            request, response, key="nope", value="1", category="advertising"
        )
    with pytest.raises(ValueError, match="Essential"):
        cookies.set_optional_cookie(request, response, key="x", value="1", category="essential")

    request = _request_with_choice(client, "accept_all")
    assert cookies.set_optional_cookie(
        request, response, key=prefs_cookie, value="compact", category="functionality"
    )
    assert response.cookies[prefs_cookie].value == "compact"


@pytest.mark.django_db
def test_template_tag_loads_analytics_only_with_consent(client):
    template = Template(
        '{% load cookies %}{% cookie_allowed "performance" as ok %}'
        "{% if ok %}<script src=/static/js/analytics.js></script>{% endif %}"
    )
    request = _request_with_choice(client)
    assert "analytics" not in template.render(Context({"request": request}))
    request = _request_with_choice(client, "reject_all")
    assert "analytics" not in template.render(Context({"request": request}))
    request = _request_with_choice(client, "customise", performance="on")
    assert "analytics" in template.render(Context({"request": request}))
    with pytest.raises(ValueError):
        cookies.consent_allows(request, "marketing-ish")


# --- the record is kept -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_consent_records_are_append_only_in_code_and_database(client, login, owner):
    login(client, owner)
    choose(client, "accept_all")
    record = CookieConsentRecord.objects.get()
    record.method = "reject_all"
    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE accounts_cookieconsentrecord SET method = 'x' WHERE id = %s", [record.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM accounts_cookieconsentrecord WHERE id = %s", [record.pk])
    # detaching the person (account deletion) is the one change allowed
    CookieConsentRecord.objects.filter(pk=record.pk).update(user=None)
    record.refresh_from_db()
    assert record.user is None and record.method == "accept_all"


# --- the usage log (non-personal information) -------------------------------------------

FIREFOX = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0"


@pytest.mark.django_db
def test_usage_log_only_with_performance_consent(owner_client, owner):
    owner_client.get(reverse("portal:dashboard"), HTTP_USER_AGENT=FIREFOX)
    assert not UsageLogEntry.objects.exists()  # no choice yet

    choose(owner_client, "reject_all")
    owner_client.get(reverse("portal:dashboard"), HTTP_USER_AGENT=FIREFOX)
    assert not UsageLogEntry.objects.exists()

    choose(owner_client, "customise", performance="on")
    owner_client.get(
        reverse("portal:dashboard"), HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.23"
    )
    entry = UsageLogEntry.objects.get()
    assert entry.user == owner.user and entry.business == owner.business
    assert entry.path == "/app/"
    assert (entry.browser, entry.os, entry.device) == ("Firefox 120", "macOS", "desktop")
    assert entry.ip_truncated == "198.51.100.0"

    # not logged: redirects, POSTs, the admin
    owner_client.post(reverse("portal:my-account-marketing"), {})
    owner_client.get("/admin/")
    assert UsageLogEntry.objects.count() == 1

    choose(owner_client, "reject_all")  # withdrawing stops it at once
    owner_client.get(reverse("portal:dashboard"))
    assert UsageLogEntry.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_never_logged(client):
    choose(client, "accept_all")
    client.get(reverse("home"))
    assert not UsageLogEntry.objects.exists()


@pytest.mark.django_db
def test_a_script_cannot_fill_the_consent_table(client, monkeypatch):
    monkeypatch.setattr(cookies, "RECORDS_PER_HOUR", 3)
    statuses = [choose(client, "reject_all").status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert CookieConsentRecord.objects.count() == 3
    # another network is unaffected
    response = client.post(
        reverse("cookie-consent"), {"action": "reject_all"}, REMOTE_ADDR="192.0.2.10"
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_no_banner_on_the_settings_page_itself(client):
    page = client.get(reverse("cookie-settings")).content.decode()
    assert 'id="cookie-banner"' not in page
    assert "Save my choices" in page  # the full form is there instead
