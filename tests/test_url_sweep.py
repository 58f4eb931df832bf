"""Every URL pattern, portal and API, is refused to the wrong people.

See tests/sweep.py for the rules; each app lists its URLs in tests/<app>/url_rules.py.
"""

import base64
import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

import tests
from accounts import services
from accounts.roles import ROLE_RANK, Cap, Role, lowest_role_with
from tests.conftest import make_api_client
from tests.factories.accounts import BusinessFactory, MembershipFactory
from tests.sweep import Rule

SKIP_NAMESPACES = {"admin"}  # Django's admin: staff only, checked in test_admin_requires_staff


def _walk(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in SKIP_NAMESPACES:
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield f"{namespace}{p.name}" if p.name else f"<unnamed {p.pattern}>"


def all_url_names() -> list[str]:
    return sorted(set(_walk(get_resolver().url_patterns)))


def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            mod = importlib.import_module(f"tests.{module.name}.url_rules")
        except ModuleNotFoundError:
            continue
        rules.update(mod.RULES)
    return rules


RULES = all_rules()
NAMES = all_url_names()


def test_every_url_has_a_rule():
    missing = [n for n in NAMES if n not in RULES]
    assert not missing, f"URL patterns without a sweep rule (tests/<app>/url_rules.py): {missing}"


def test_no_stale_rules():
    stale = [n for n in RULES if n not in NAMES]
    assert not stale, f"Sweep rules for URLs that no longer exist: {stale}"


def _call(client, rule: Rule, url: str, data: dict | None):
    method = getattr(client, rule.method)
    if rule.kind == "api":
        return method(url, data or {}, format="json") if rule.method != "get" else method(url)
    return method(url, data or {})


def _url(name: str, kwargs: dict | None) -> str:
    return reverse(name, kwargs=kwargs or None)


def _below(cap: Cap) -> Role | None:
    lowest = lowest_role_with(cap)
    lower = [r for r in Role if ROLE_RANK[r] < ROLE_RANK[lowest]]
    return max(lower, key=ROLE_RANK.__getitem__) if lower else None


PORTAL = [n for n in NAMES if n in RULES and RULES[n].kind == "portal"]
API = [n for n in NAMES if n in RULES and RULES[n].kind == "api"]
PUBLIC = [n for n in NAMES if n in RULES and RULES[n].kind == "public"]
OPS = [n for n in NAMES if n in RULES and RULES[n].kind == "ops"]
TWILIO = [n for n in NAMES if n in RULES and RULES[n].kind == "twilio"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PORTAL)
def test_portal_url_refuses_the_wrong_people(name, client, login):
    rule = RULES[name]
    business = BusinessFactory()
    kwargs = rule.kwargs(business) if rule.kwargs else None
    url = _url(name, kwargs)
    data = rule.data(business, kwargs or {}) if rule.data else None

    # anonymous: sent to log in
    response = _call(client, rule, url, data)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
        name,
        response.status_code,
    )

    # a role that lacks the capability: 403
    lower = _below(rule.cap)
    if lower is not None:
        login(client, MembershipFactory(business=business, role=lower.value))
        response = _call(client, rule, url, data)
        assert response.status_code == 403, (name, lower, response.status_code)

    # another business's owner asking for this business's object: 404
    if kwargs:
        stranger = MembershipFactory(role=Role.OWNER.value)
        login(client, stranger)
        other_data = rule.data(stranger.business, kwargs) if rule.data else None
        response = _call(client, rule, url, other_data)
        assert response.status_code == 404, (name, response.status_code)

    # the lowest role that may: allowed
    login(client, MembershipFactory(business=business, role=lowest_role_with(rule.cap).value))
    response = _call(client, rule, url, data)
    assert response.status_code < 400 or response.status_code in rule.allowed_extra, (
        name,
        response.status_code,
    )


def _assert_error_shape(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields", "detail"} <= set(body["error"])


@pytest.mark.django_db
@pytest.mark.parametrize("name", API)
def test_api_url_refuses_the_wrong_people(name):
    rule = RULES[name]
    business = BusinessFactory()
    owner = MembershipFactory(business=business, role=Role.OWNER.value)
    kwargs = rule.kwargs(business) if rule.kwargs else None
    url = _url(name, kwargs)
    data = rule.data(business, kwargs or {}) if rule.data else None

    _assert_error_shape(_call(APIClient(), rule, url, data), 401)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer cyc_deadbeef_not-a-real-key")
    _assert_error_shape(_call(wrong, rule, url, data), 401)

    lower = _below(rule.cap)
    if lower is not None:
        _assert_error_shape(_call(make_api_client(owner, lower.value), rule, url, data), 403)

    if kwargs:
        stranger = MembershipFactory(role=Role.OWNER.value)
        other_data = rule.data(stranger.business, kwargs) if rule.data else None
        _assert_error_shape(_call(make_api_client(stranger), rule, url, other_data), 404)

    allowed = lowest_role_with(rule.cap)
    role = Role.ADMIN if allowed == Role.OWNER else allowed
    response = _call(make_api_client(owner, role.value), rule, url, data)
    assert response.status_code < 400 or response.status_code in rule.allowed_extra, (
        name,
        response.status_code,
        response.content[:300],
    )


def _twilio_client(membership, role: str) -> APIClient:
    """Basic auth with a Twilio-style API key SID and secret of ``role``."""
    _, secret = services.api_key_create(
        business=membership.business, name=f"sweep {role}", role=role, by=membership, twilio=True
    )
    key = membership.business.api_keys.get(name=f"sweep {role}")
    api = APIClient()
    token = base64.b64encode(f"{key.sid}:{secret}".encode()).decode()
    api.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return api


def _assert_twilio_error(response, status: int, code: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert (body["code"], body["status"]) == (code, status), body


def _twilio_call(client, rule: Rule, url: str, data: dict | None):
    return getattr(client, rule.method)(url, data or {})


@pytest.mark.django_db
@pytest.mark.parametrize("name", TWILIO)
def test_twilio_url_refuses_the_wrong_people(name):
    rule = RULES[name]
    business = BusinessFactory()
    owner = MembershipFactory(business=business, role=Role.OWNER.value)
    kwargs = rule.kwargs(business) if rule.kwargs else {}
    url = _url(name, kwargs)
    data = rule.data(business, kwargs) if rule.data else None

    _assert_twilio_error(_twilio_call(APIClient(), rule, url, data), 401, 20003)
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"SKdead:beef").decode())
    _assert_twilio_error(_twilio_call(wrong, rule, url, data), 401, 20003)

    lower = _below(rule.cap)
    if lower is not None:
        _assert_twilio_error(
            _twilio_call(_twilio_client(owner, lower.value), rule, url, data), 403, 20003
        )

    stranger = MembershipFactory(role=Role.OWNER.value)
    _assert_twilio_error(
        _twilio_call(_twilio_client(stranger, Role.ADMIN.value), rule, url, data), 404, 20404
    )

    allowed = lowest_role_with(rule.cap)
    role = Role.ADMIN if allowed == Role.OWNER else allowed
    response = _twilio_call(_twilio_client(owner, role.value), rule, url, data)
    assert response.status_code < 400 or response.status_code in rule.allowed_extra, (
        name,
        response.status_code,
        response.content[:300],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC)
def test_public_url_is_reachable_anonymously(name, client):
    rule = RULES[name]
    assert rule.reason, f"{name}: a public URL must say why it is public"
    business = BusinessFactory()
    kwargs = rule.kwargs(business) if rule.kwargs else None
    data = rule.data(business, kwargs or {}) if rule.data else None
    response = _call(client, rule, _url(name, kwargs), data)
    assert response.status_code < 400 or response.status_code in rule.allowed_extra, (
        name,
        response.status_code,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", OPS)
def test_ops_url_needs_its_token_or_verified_staff(name, client, login, settings, staff_client):
    rule = RULES[name]
    assert rule.token_setting, f"{name}: an ops URL names the setting of its token"
    url = _url(name, None)
    member = MembershipFactory(role=Role.OWNER.value)
    anonymous = APIClient()

    setattr(settings, rule.token_setting, "")  # no token configured: nothing to see here
    _assert_error_shape(anonymous.get(url), 404)
    _assert_error_shape(anonymous.get(url, HTTP_AUTHORIZATION="Bearer "), 404)
    response = staff_client.get(url)
    assert response.status_code == 200, (name, response.status_code)
    staff_client.logout()

    token = "sweep-ops-token-5f1e9a"
    setattr(settings, rule.token_setting, token)
    _assert_error_shape(anonymous.get(url), 401)
    _assert_error_shape(anonymous.get(url, HTTP_AUTHORIZATION=f"Bearer {token}-wrong"), 401)
    _assert_error_shape(anonymous.get(url, HTTP_AUTHORIZATION=f"Token {token}"), 401)
    login(client, member)  # the owner of a business is not an operator
    _assert_error_shape(client.get(url), 401)
    response = anonymous.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, (name, response.status_code)


@pytest.mark.django_db
def test_admin_requires_staff(client, login):
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    member = MembershipFactory(role=Role.OWNER.value)
    login(client, member)
    response = client.get("/admin/accounts/business/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
