"""API keys: authentication, revocation, tenant isolation, the error shape, throttling."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiKey
from accounts.roles import Role
from tests.conftest import make_api_client


def _error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "fields", "detail"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


@pytest.mark.django_db
class TestApiKeys:
    def test_key_sees_its_own_business(self, api_client, business):
        response = api_client.get("/api/v1/business/")
        assert response.status_code == 200
        assert response.json()["uuid"] == str(business.uuid)

    def test_key_of_a_never_sees_b(self, api_client, other_api_client, members, other_owner):
        mine = {m["email"] for m in api_client.get("/api/v1/members/").json()["results"]}
        theirs = {m["email"] for m in other_api_client.get("/api/v1/members/").json()["results"]}
        assert mine == {m.user.email for m in members.values()}
        assert theirs == {other_owner.user.email}

    def test_secret_is_stored_hashed(self, owner):
        key, secret = services.api_key_create(
            business=owner.business, name="x", role=Role.AGENT, by=owner
        )
        stored = ApiKey.objects.get(pk=key.pk)
        assert secret not in (stored.key_hash, stored.prefix)
        assert secret.startswith(f"cyc_{stored.prefix}_")
        assert len(stored.key_hash) == 64

    def test_revoked_key_is_401_in_the_error_shape(self, owner):
        key, secret = services.api_key_create(
            business=owner.business, name="x", role=Role.AGENT, by=owner
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        assert api.get("/api/v1/business/").status_code == 200
        services.api_key_revoke(key=key, actor=owner.user)
        _error(api.get("/api/v1/business/"), 401, "authentication_failed")

    @pytest.mark.parametrize(
        "header",
        ["Bearer cyc_00000000_wrong", "Bearer", "Basic abc", "Bearer a b", "Token cyc_x_y"],
    )
    def test_wrong_or_malformed_key_is_401(self, header, api_client):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=header)
        _error(api.get("/api/v1/business/"), 401)

    def test_right_prefix_wrong_secret_is_401(self, owner):
        key, _secret = services.api_key_create(
            business=owner.business, name="x", role=Role.AGENT, by=owner
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer cyc_{key.prefix}_{'A' * 43}")
        _error(api.get("/api/v1/business/"), 401)

    def test_last_used_is_recorded(self, owner):
        key, secret = services.api_key_create(
            business=owner.business, name="x", role=Role.AGENT, by=owner
        )
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        before = timezone.now()
        api.get("/api/v1/business/")
        key.refresh_from_db()
        assert key.last_used_at is not None and key.last_used_at >= before

    def test_agent_cannot_create_owner_key(self, members):
        from accounts.errors import ValidationFailed

        with pytest.raises(ValidationFailed) as caught:
            services.api_key_create(
                business=members[Role.ADMIN].business,
                name="x",
                role=Role.OWNER,
                by=members[Role.ADMIN],
            )
        assert caught.value.fields == {"role": ["API keys can have at most the admin role."]}

    def test_throttled_per_key_in_the_error_shape(self, owner, settings):
        from rest_framework.settings import api_settings

        from accounts.api.throttling import ApiKeyRateThrottle

        rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/min"}
        original = ApiKeyRateThrottle.THROTTLE_RATES
        ApiKeyRateThrottle.THROTTLE_RATES = rates
        try:
            api = make_api_client(owner)
            other = make_api_client(owner)
            codes = [api.get("/api/v1/business/").status_code for _ in range(4)]
            assert codes[:3] == [200, 200, 200]
            error = _error(api.get("/api/v1/business/"), 429, "throttled")
            assert error["detail"]["retry_after_seconds"] > 0
            # another key of the same business has its own budget
            assert other.get("/api/v1/business/").status_code == 200
        finally:
            ApiKeyRateThrottle.THROTTLE_RATES = original

    def test_pagination_is_a_cursor(self, api_client, business):
        from tests.factories.accounts import MembershipFactory

        for _ in range(5):
            MembershipFactory(business=business, role=Role.VIEWER)
        page = api_client.get("/api/v1/members/?page_size=2").json()
        assert len(page["results"]) == 2 and page["next"] and "cursor=" in page["next"]
        seen = {m["uuid"] for m in page["results"]}
        while page["next"]:
            page = api_client.get(page["next"]).json()
            new = {m["uuid"] for m in page["results"]}
            assert not (seen & new)
            seen |= new
        assert len(seen) == business.memberships.count()

    def test_member_list_query_count_is_flat(
        self, api_client, business, django_assert_max_num_queries
    ):
        from tests.factories.accounts import MembershipFactory

        for _ in range(20):
            MembershipFactory(business=business, role=Role.VIEWER)
        with django_assert_max_num_queries(4):
            assert api_client.get("/api/v1/members/").status_code == 200


@pytest.mark.django_db
def test_schema_and_docs_work_offline(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/business/" in schema.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger" in html.lower()
    assert "http://" not in html.replace("http://testserver", "") or "cdn" not in html.lower()
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


@pytest.mark.django_db
def test_unknown_api_path_is_404(api_client):
    assert api_client.get("/api/v1/nothing-here/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "501", "abc", "-1", "1.5"])
def test_bad_page_size_is_a_400_naming_the_field(api_client, value):
    response = api_client.get(f"/api/v1/members/?page_size={value}")
    error = _error(response, 400, "invalid")
    assert "page_size" in error["fields"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/v1/members/not-a-uuid/", "/api/v1/business/x/y/"]
)
def test_unrouted_api_paths_answer_in_the_error_shape(api_client, path):
    response = api_client.get(path)
    assert response["Content-Type"] == "application/json"
    _error(response, 404, "not_found")


@pytest.mark.django_db
def test_unrouted_portal_paths_stay_html(client):
    response = client.get("/app/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
