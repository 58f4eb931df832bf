"""schemathesis against our own OpenAPI schema, with a valid API key.

Every operation, with generated valid and invalid input: no 5xx, every response
conforms to the schema (status documented, body shape). Bounded examples per operation
so the run stays in CI's budget; FUZZ_EXAMPLES raises it for a deeper local run.
"""

import json
import os
from urllib.parse import urlencode

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from accounts.roles import Role

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))


def _load_schema():
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_connection_open():
    """Like Django's test client: keep the test's connection (and its transaction) open
    across the in-process WSGI calls."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(db):
    from accounts import services
    from tests.factories.accounts import MembershipFactory

    owner = MembershipFactory(role=Role.OWNER.value)
    _, secret = services.api_key_create(
        business=owner.business, name="fuzz", role=Role.ADMIN.value, by=owner
    )
    return secret


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db(transaction=False)
def test_api_conforms_to_its_schema(case, fuzz_key, carrier, settings):
    # Number search and provisioning talk to the simulated carrier over HTTP: a real one.
    settings.CARRIER_URL = carrier.url
    # What the issue asks: no 5xx, documented status codes, content types, headers and
    # bodies. Stricter-than-schema validation (a phone number that is a string but not a
    # phone number) is right to refuse, so the two "data acceptance" checks are left out.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_key}"},
        excluded_checks=[checks.positive_data_acceptance, checks.negative_data_rejection],
    )


# --- NUL bytes and lone surrogates (issue 18, finding 4) ----------------------------------

POISON = ("\x00", "\ud800")


def _poison(value, index: int = 0):
    """``value`` with a NUL or a lone surrogate appended to every string in it (keys too,
    for every other key); returns the value and whether anything was poisoned."""
    if isinstance(value, str):
        return value + POISON[index % 2], True
    if isinstance(value, dict):
        out, hit = {}, False
        for i, (key, item) in enumerate(value.items()):
            new, found = _poison(item, index + i)
            if not found and isinstance(key, str) and i % 2:
                key, found = key + "\x00", True
            out[key] = new
            hit = hit or found
        return out, hit
    if isinstance(value, list):
        items = [_poison(item, index + i) for i, item in enumerate(value)]
        return [v for v, _ in items], any(h for _, h in items)
    return value, False


@schema.parametrize()
@settings(
    max_examples=max(3, EXAMPLES // 3),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db(transaction=False)
def test_nul_and_lone_surrogates_in_any_field_are_a_400_in_the_error_shape(
    case, fuzz_key, carrier, settings, client
):
    """Every operation's generated input, each string (and every other key) poisoned."""
    settings.CARRIER_URL = carrier.url
    poisoned, body = False, b""
    has_body = case.method.upper() in ("POST", "PUT", "PATCH")
    if has_body and case.media_type == "application/json" and isinstance(case.body, dict | list):
        poisoned_body, poisoned = _poison(case.body)
        body = json.dumps(poisoned_body).encode()  # a surrogate goes as a \ud800 escape
    query = {}
    for key, value in (case.query or {}).items():
        # a query string is UTF-8 on the wire: a surrogate cannot be sent, a NUL can
        query[key] = f"{value}\x00" if isinstance(value, str) else value
        poisoned = poisoned or isinstance(value, str)
    if not poisoned:
        return
    path = case.formatted_path
    if query:
        path += "?" + urlencode(query, doseq=True)
    response = client.generic(
        case.method,
        path,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {fuzz_key}",
    )
    assert response.status_code == 400, (case.method, path, response.content[:500])
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"], error
