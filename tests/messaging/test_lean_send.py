"""The send API's lean path (issue 18, finding 9: ``accounts.api.lean``) answers exactly as
the DRF view: the same status, body, headers and written row for the same request, for a
send and for every class of refusal; what it does not serve goes to the DRF view.

Each case is sent twice, through the product's URLconf (the lean path) and through one that
maps the URL to the DRF view alone (``full_send_urls``), with keys of their own so that the
throttle counts each apart. ``renderer_context`` tells who answered: DRF's names the view.
"""

import uuid

import pytest
from django.core.cache import caches
from rest_framework.settings import api_settings

from accounts.api.throttling import ApiKeyRateThrottle
from accounts.billing import selectors as billing_selectors
from accounts.billing import services as billing_services
from accounts.billing.models import BillingAccount
from accounts.models import ApiKey
from accounts.roles import Role
from accounts.services import api_key_revoke
from messaging.api.views.messages import plain_send_input
from messaging.models import Message
from tests.conftest import make_api_client
from tests.factories.messaging import consenting_contact, queued_status_now, sending_number

URL = "/api/v1/messages/"
FULL = "tests.messaging.full_send_urls"
BODY = "Your appointment is tomorrow at 3pm. Reply STOP to opt out."
# differ by request, not by path
VARYING = {"uuid", "created_at", "queued_at", "send_after", "expires_at", "status_changed_at"}
ROW_FIELDS = (
    "status", "reasons", "kind", "purpose", "body", "to_phone", "contact_id", "from_number_id",
    "automated", "priority", "encoding", "segments", "media_count", "idempotency_key",
    "created_by_id", "broadcast_id", "direction",
)  # fmt: skip


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    return consenting_contact(business=business, number=number, phone="+16465550142")


def _send(client, payload, *, fmt="json", **extra):
    if fmt == "json":
        return client.post(URL, payload, format="json", **extra)
    return client.post(URL, payload, **extra)


def _both(owner, settings, payload, *, role=Role.ADMIN.value, client=None, **kw):
    """The lean answer and the DRF view's, each with a key of its own."""
    lean = _send(client or make_api_client(owner, role), payload, **kw)
    lean_row = Message.objects.order_by("-id").first()
    settings.ROOT_URLCONF = FULL
    full = _send(client or make_api_client(owner, role), payload, **kw)
    full_row = Message.objects.order_by("-id").first()
    settings.ROOT_URLCONF = "config.urls"
    return lean, full, lean_row, full_row


def _served_by_lean(response) -> bool:
    return "view" not in response.renderer_context


def _same(lean, full):
    assert lean.status_code == full.status_code, (lean.content, full.content)
    skip = {"X-Request-ID", "Content-Length"}
    full_headers = {k: v for k, v in full.headers.items() if k not in skip}
    if full_headers.get("Vary") == "Cookie":
        # the portal's middleware asks the session for its user, and the session middleware
        # then says the answer varies by cookie; the lean view's URL takes the short chain
        # (accounts.api.chain), without a session: an API key's answer does not depend on one
        del full_headers["Vary"]
    assert {k: v for k, v in lean.headers.items() if k not in skip} == full_headers
    a, b = lean.json(), full.json()
    if "uuid" in a:
        a, b = (
            {k: v for k, v in x.items() if k not in VARYING or v is None or k == "uuid"}
            for x in (a, b)
        )
        assert a.pop("uuid") != b.pop("uuid")
        assert {k for k in lean.json() if lean.json()[k] is None} == {
            k for k in full.json() if full.json()[k] is None
        }
    assert a == b


def _same_rows(lean_row, full_row):
    assert lean_row is not None and full_row is not None and lean_row.pk != full_row.pk
    for name in ROW_FIELDS:
        assert getattr(lean_row, name) == getattr(full_row, name), name


def test_a_send_to_a_contact_from_a_number(owner, business, number, contact, settings):
    payload = {
        "contact": str(contact.uuid),
        "from_number": str(number.uuid),
        "kind": "transactional",
        "body": BODY,
        "automated": False,  # ignored by both
    }
    lean, full, lean_row, full_row = _both(owner, settings, payload)
    assert _served_by_lean(lean) and not _served_by_lean(full)
    assert lean.status_code == 201 and lean.json()["status"] == "QUEUED"
    assert lean.json()["uuid"] == str(lean_row.uuid)
    _same(lean, full)
    _same_rows(lean_row, full_row)
    assert lean.headers["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_a_send_to_a_phone_spelled_loosely(owner, business, number, contact, settings):
    payload = {"to": "  (646) 555-0142 ", "kind": "informational", "body": BODY}
    lean, full, lean_row, full_row = _both(owner, settings, payload)
    assert _served_by_lean(lean)
    assert lean.json()["status"] == queued_status_now("+16465550142")
    assert lean.json()["contact"] == str(contact.uuid)
    _same(lean, full)
    _same_rows(lean_row, full_row)


@pytest.mark.parametrize(
    ("kind", "body", "statuses"),
    [
        ("marketing", "20% off whitening this week! Reply STOP to opt out.", {"BLOCKED"}),
        ("transactional", "Your appointment is tomorrow at 3pm.", {"BLOCKED", "HELD"}),
        (
            "transactional",
            "Fast payday loans, no credit check, cash today! Reply STOP to opt out.",
            {"BLOCKED", "HELD"},
        ),
    ],
    ids=["no-consent", "no-opt-out-text", "content-policy"],
)
def test_a_send_a_gate_stops(owner, business, number, settings, kind, body, statuses):
    """A gate's refusal is a 201 with reasons: the same gates, the same reasons."""
    payload = {"to": "+16465550177", "from_number": str(number.uuid), "kind": kind, "body": body}
    lean, full, lean_row, full_row = _both(owner, settings, payload)
    assert _served_by_lean(lean)
    assert lean.status_code == 201 and lean.json()["status"] in statuses, lean.json()
    assert lean.json()["reasons"]
    _same(lean, full)
    _same_rows(lean_row, full_row)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"contact": str(uuid.uuid4()), "kind": "transactional", "body": BODY}, "contact"),
        (
            {"to": "+16465550142", "from_number": str(uuid.uuid4()), "kind": "transactional",
             "body": BODY},
            "from_number",
        ),
        ({"to": "+16465550142", "kind": "transactional", "body": "   "}, "body"),
        ({"to": "+1 900 555 0100", "kind": "transactional", "body": BODY}, "to_phone"),
    ],
    ids=["unknown-contact", "not-our-number", "empty-body", "premium-rate"],
)  # fmt: skip
def test_refusals_the_service_words(owner, business, number, contact, settings, payload, field):
    count = Message.objects.count()
    lean, full, _, _ = _both(owner, settings, payload)
    assert _served_by_lean(lean)
    assert lean.status_code == 400 and field in lean.json()["error"]["fields"], lean.json()
    _same(lean, full)
    assert Message.objects.count() == count


def test_a_paused_business_is_refused_alike(owner, business, number, contact, settings):
    account = billing_services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        standing=BillingAccount.Standing.PAUSED, pause_reason="invoice INV-000001 is unpaid."
    )
    billing_selectors.standing_forget(business.pk)
    payload = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    lean, full, _, _ = _both(owner, settings, payload)
    assert _served_by_lean(lean)
    assert lean.status_code == 402 and lean.json()["error"]["code"] == "billing_paused"
    _same(lean, full)


def test_the_throttle_counts_once_and_refuses_alike(
    owner, business, number, contact, settings, monkeypatch
):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "2/min"}
    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = rates
    # one moment for both paths: their Retry-After (whole seconds) and windows are then the
    # same even when a busy box lets a second or a minute pass between the two runs
    moment = 1_800_000_030.0
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: moment))
    caches["default"].clear()
    payload = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    try:
        answers = []
        for urlconf in ("config.urls", FULL):
            settings.ROOT_URLCONF = urlconf
            api = make_api_client(owner)
            answers.append([_send(api, payload) for _ in range(3)])
        settings.ROOT_URLCONF = "config.urls"
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = original
    lean, full = answers
    assert [r.status_code for r in lean] == [201, 201, 429] == [r.status_code for r in full]
    assert all(_served_by_lean(r) for r in lean)
    assert lean[2].json()["error"]["code"] == "throttled"
    assert int(lean[2].headers["Retry-After"]) >= 1
    _same(lean[2], full[2])


@pytest.mark.parametrize(
    ("payload", "extra", "status"),
    [
        ({"to": "+16465550142", "body": BODY}, {}, 400),  # no kind
        ({"to": "+16465550142", "kind": "sms", "body": BODY}, {}, 400),
        ({"kind": "transactional", "body": BODY}, {}, 400),  # no recipient
        ({"to": "+16465550142", "kind": "transactional", "body": "x" * 1601}, {}, 400),
        ({"to": "+16465550142", "kind": "transactional", "body": 12345}, {}, 201),  # converted
        ({"to": None, "kind": "transactional", "body": BODY}, {}, 400),
        ({"contact": "not-a-uuid", "kind": "transactional", "body": BODY}, {}, 400),
        ({"to": "+16465550142", "kind": "transactional", "body": BODY, "media": []}, {}, 201),
        (
            {"to": "+16465550142", "kind": "transactional", "body": BODY, "send_at": "soon"},
            {}, 400,
        ),
        (
            {"to": "+16465550142", "kind": "transactional", "body": BODY},
            {"HTTP_ACCEPT": "text/html"}, 406,
        ),
    ],
    ids=[
        "no-kind", "unknown-kind", "no-recipient", "too-long", "number-body", "null-to",
        "bad-uuid", "media-field", "bad-send-at", "not-json-accepted",
    ],
)  # fmt: skip
def test_what_the_serializer_decides_goes_to_the_drf_view(
    owner, business, number, contact, settings, payload, extra, status
):
    lean, full, _, _ = _both(owner, settings, payload, **extra)
    assert not _served_by_lean(lean)
    assert lean.status_code == status, lean.content
    _same(lean, full)


def test_keys_and_roles_are_checked_by_drf_words(owner, business, number, contact, settings):
    payload = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    viewer_lean, viewer_full, _, _ = _both(owner, settings, payload, role=Role.VIEWER.value)
    assert viewer_lean.status_code == 403 and not _served_by_lean(viewer_lean)
    _same(viewer_lean, viewer_full)

    api = make_api_client(owner)
    api_key_revoke(key=ApiKey.objects.order_by("-id").first(), actor=owner.user)
    revoked_lean, revoked_full, _, _ = _both(owner, settings, payload, client=api)
    assert revoked_lean.status_code == 401 and not _served_by_lean(revoked_lean)
    _same(revoked_lean, revoked_full)

    api.credentials(HTTP_AUTHORIZATION="Bearer cyc_nope_nothing")
    wrong_lean, wrong_full, _, _ = _both(owner, settings, payload, client=api)
    assert wrong_lean.status_code == 401
    _same(wrong_lean, wrong_full)

    api.credentials()
    none_lean, none_full, _, _ = _both(owner, settings, payload, client=api)
    assert none_lean.status_code == 401 and "WWW-Authenticate" in none_lean.headers
    _same(none_lean, none_full)


def test_an_idempotency_key_goes_to_the_drf_view(owner, business, number, contact, settings):
    payload = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    lean = _send(make_api_client(owner), payload, HTTP_IDEMPOTENCY_KEY="k-1")
    settings.ROOT_URLCONF = FULL
    full = _send(make_api_client(owner), payload, HTTP_IDEMPOTENCY_KEY="k-2")
    settings.ROOT_URLCONF = "config.urls"
    assert not _served_by_lean(lean) and lean.status_code == 201
    assert (lean.json()["idempotency_key"], full.json()["idempotency_key"]) == ("k-1", "k-2")
    again = _send(make_api_client(owner), {**payload, "idempotency_key": "k-1"})
    assert again.status_code == 200 and again.json()["uuid"] == lean.json()["uuid"]


def test_a_form_body_goes_to_the_drf_view(owner, business, number, contact, settings):
    payload = {"contact": str(contact.uuid), "kind": "transactional", "body": BODY}
    lean, full, _, _ = _both(owner, settings, payload, fmt="form")
    assert not _served_by_lean(lean) and lean.status_code == 415
    _same(lean, full)


def test_the_list_is_the_drf_view(owner, business, number, contact, api_client):
    response = api_client.get(URL)
    assert response.status_code == 200 and not _served_by_lean(response)


class _Request:
    def __init__(self, **meta):
        self.META = meta


@pytest.mark.parametrize(
    ("data", "meta", "expected"),
    [
        ({"to": " +16465550142 ", "kind": "marketing", "body": ""}, {},
         {"to": "+16465550142", "kind": "marketing", "body": "", "time_zone_basis": "recipient"}),
        ({"contact": "9B2D7F41-2C55-4A8E-B1F3-5E7D0C9A8B22", "kind": "transactional",
          "body": "hi", "extra": 1}, {},
         {"contact": uuid.UUID("9b2d7f41-2c55-4a8e-b1f3-5e7d0c9a8b22"),
          "kind": "transactional", "body": "hi", "time_zone_basis": "recipient"}),
        ({"to": "   ", "kind": "marketing", "body": "hi"}, {}, None),
        ({"to": 16465550142, "kind": "marketing", "body": "hi"}, {}, None),
        ({"to": "+16465550142", "kind": "marketing", "body": "hi", "time_zone_basis": "recipient"},
         {}, None),
        ({"to": "+16465550142", "kind": "marketing", "body": "hi", "expires_at": None}, {}, None),
        ({"to": "+16465550142", "kind": "marketing", "body": "hi"},
         {"HTTP_IDEMPOTENCY_KEY": "k"}, None),
        ({"to": "+16465550142", "kind": "Marketing", "body": "hi"}, {}, None),
        ({"to": "+16465550142", "kind": "marketing", "body": "x" * 1600}, {},
         {"to": "+16465550142", "kind": "marketing", "body": "x" * 1600,
          "time_zone_basis": "recipient"}),
    ],
)  # fmt: skip
def test_what_the_lean_path_takes_is_what_the_serializer_gives(data, meta, expected):
    from messaging.api.views.messages import MessageListCreateApi

    assert plain_send_input(_Request(**meta), data) == expected
    if expected is not None:  # the serializer agrees, value for value
        serializer = MessageListCreateApi.InputSerializer(data=data)
        assert serializer.is_valid(), serializer.errors
        assert dict(serializer.validated_data) == expected


def test_a_contact_and_number_read_with_the_key_keep_tenancy_and_refusals(
    owner, other_owner, business, other_business, number, contact, settings
):
    """The usual send names a contact and a number: the lean path reads them in the key's
    statement, on the key's business. Another business's contact or number is unknown, and
    a key refused (revoked, wrong secret, too low a role) still answers as DRF does."""
    theirs = sending_number(business=other_business)
    their_contact = consenting_contact(business=other_business, number=theirs, phone="+16465550143")
    ours = {"contact": str(contact.uuid), "from_number": str(number.uuid)}
    send = {"kind": "transactional", "body": BODY}
    count = Message.objects.count()
    for names, field in (
        ({**ours, "contact": str(their_contact.uuid)}, "contact"),
        ({**ours, "contact": str(uuid.uuid4())}, "contact"),
        ({**ours, "from_number": str(theirs.uuid)}, "from_number"),
    ):
        lean, full, _, _ = _both(owner, settings, {**send, **names})
        assert _served_by_lean(lean)
        assert lean.status_code == 400 and field in lean.json()["error"]["fields"], lean.json()
        _same(lean, full)
    assert Message.objects.count() == count

    viewer_lean, viewer_full, _, _ = _both(
        owner, settings, {**send, **ours}, role=Role.VIEWER.value
    )
    assert viewer_lean.status_code == 403 and not _served_by_lean(viewer_lean)
    _same(viewer_lean, viewer_full)
    api = make_api_client(owner)
    secret = api._credentials["HTTP_AUTHORIZATION"].split()[1]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret[:-4]}nope")  # the right prefix
    wrong_lean, wrong_full, _, _ = _both(owner, settings, {**send, **ours}, client=api)
    assert wrong_lean.status_code == 401 and not _served_by_lean(wrong_lean)
    _same(wrong_lean, wrong_full)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    api_key_revoke(key=ApiKey.objects.order_by("-id").first(), actor=owner.user)
    revoked_lean, revoked_full, _, _ = _both(owner, settings, {**send, **ours}, client=api)
    assert revoked_lean.status_code == 401 and not _served_by_lean(revoked_lean)
    _same(revoked_lean, revoked_full)
    assert Message.objects.count() == count

    # their own key sends to their contact from their number
    mine = make_api_client(other_owner).post(
        URL,
        {**send, "contact": str(their_contact.uuid), "from_number": str(theirs.uuid)},
        format="json",
    )
    assert mine.status_code == 201 and mine.json()["status"] == "QUEUED"


def test_the_standing_read_with_the_key_refuses_a_paused_business_alike(
    owner, business, number, contact, settings
):
    """Naming a contact and a number, the lean path reads the billing standing in the key's
    statement (not the cache): a paused business is the same 402, an active one sends."""
    payload = {
        "contact": str(contact.uuid),
        "from_number": str(number.uuid),
        "kind": "transactional",
        "body": BODY,
    }
    lean, full, _, _ = _both(owner, settings, payload)
    assert lean.status_code == 201 == full.status_code
    account = billing_services.account_get_or_create(business=business)
    BillingAccount.objects.filter(pk=account.pk).update(
        standing=BillingAccount.Standing.PAUSED, pause_reason="invoice INV-000001 is unpaid."
    )
    billing_selectors.standing_forget(business.pk)
    lean, full, _, _ = _both(owner, settings, payload)
    assert _served_by_lean(lean)
    assert lean.status_code == 402 and lean.json()["error"]["code"] == "billing_paused"
    _same(lean, full)
    # changed in the database behind the cache's back: the lean path's read sees it at once
    BillingAccount.objects.filter(pk=account.pk).update(standing=BillingAccount.Standing.ACTIVE)
    assert make_api_client(owner).post(URL, payload, format="json").status_code == 201
