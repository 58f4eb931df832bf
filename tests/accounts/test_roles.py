"""Each role can do exactly what accounts/README.md says (table-driven)."""

import pytest

from accounts.roles import ROLE_CAPS, Cap, Role, role_can, role_can_grant

README_TABLE = {
    Cap.VIEW: {Role.VIEWER, Role.AGENT, Role.ADMIN, Role.BILLING, Role.OWNER},
    Cap.SEND: {Role.AGENT, Role.ADMIN, Role.OWNER},
    Cap.MANAGE_CONTACTS: {Role.AGENT, Role.ADMIN, Role.OWNER},
    Cap.MANAGE_CAMPAIGNS: {Role.ADMIN, Role.OWNER},
    Cap.MANAGE_API_KEYS: {Role.ADMIN, Role.OWNER},
    Cap.MANAGE_TEAM: {Role.ADMIN, Role.OWNER},
    Cap.MANAGE_BUSINESS: {Role.OWNER},
    Cap.MANAGE_BILLING: {Role.BILLING, Role.OWNER},
}


@pytest.mark.parametrize("cap", list(Cap))
@pytest.mark.parametrize("role", list(Role))
def test_role_capabilities_match_the_readme(role, cap):
    assert role_can(role, cap) == (role in README_TABLE[cap])


def test_readme_documents_every_capability():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "accounts" / "README.md").read_text()
    for cap in Cap:
        assert f"| {cap.value}:" in readme, cap
    assert set(README_TABLE) == set(Cap) == set().union(*ROLE_CAPS.values())


@pytest.mark.parametrize(
    ("granter", "role", "allowed"),
    [
        (Role.OWNER, Role.OWNER, True),
        (Role.OWNER, Role.ADMIN, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.VIEWER, True),
        (Role.ADMIN, Role.BILLING, False),  # money: owners only
        (Role.OWNER, Role.BILLING, True),
        (Role.AGENT, Role.VIEWER, False),
        (Role.VIEWER, Role.VIEWER, False),
    ],
)
def test_who_may_grant_which_role(granter, role, allowed):
    assert role_can_grant(granter, role) is allowed


@pytest.mark.django_db
class TestRolesThroughThePortal:
    def test_viewer_sees_team_but_cannot_invite(self, client, login, members):
        login(client, members[Role.VIEWER])
        assert client.get("/app/team/").status_code == 200
        response = client.post("/app/team/", {"email": "x@example.com", "role": "agent"})
        assert response.status_code == 403

    def test_agent_cannot_reach_api_keys(self, client, login, members):
        login(client, members[Role.AGENT])
        assert client.get("/app/api-keys/").status_code == 403

    def test_admin_cannot_make_an_owner(self, client, login, members):
        login(client, members[Role.ADMIN])
        target = members[Role.VIEWER]
        client.post(f"/app/team/{target.uuid}/role/", {"role": "owner"})
        target.refresh_from_db()
        assert target.role == Role.VIEWER

    def test_admin_can_promote_viewer_to_agent(self, client, login, members):
        login(client, members[Role.ADMIN])
        target = members[Role.VIEWER]
        client.post(f"/app/team/{target.uuid}/role/", {"role": "agent"})
        target.refresh_from_db()
        assert target.role == Role.AGENT

    def test_only_owner_edits_business_profile(self, client, login, members, business):
        data = {
            "display_name": "New name",
            "website": "https://new.example",
            "brand_domains": "new.example",
            "time_zone": "America/Chicago",
        }
        login(client, members[Role.ADMIN])
        assert client.post("/app/business/", data).status_code == 403
        login(client, members[Role.OWNER])
        assert client.post("/app/business/", data).status_code == 302
        business.refresh_from_db()
        assert business.display_name == "New name"
        assert business.brand_domains == ["new.example"]

    def test_last_owner_cannot_be_removed_or_demoted(self, client, login, owner):
        login(client, owner)
        client.post(f"/app/team/{owner.uuid}/remove/")
        client.post(f"/app/team/{owner.uuid}/role/", {"role": "admin"})
        owner.refresh_from_db()
        assert owner.role == Role.OWNER
