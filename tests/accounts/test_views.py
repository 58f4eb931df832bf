"""Sign-up, invitations, team management and API keys through the portal."""

import re

import pytest
from django.core import mail

from accounts.models import ApiKey, AuditEvent, Business, Membership, User
from accounts.roles import Role
from tests.factories.accounts import LONG_EMAIL, signup_data

SIGNUP = {
    "full_name": "Maria Lopez",
    "email": "maria@lopezsalon.com",
    "password": "a-long-unusual-passphrase-42",
    "legal_name": "Lopez Hair Studio LLC",
    "display_name": "Lopez Hair Studio",
    "website": "https://lopezsalon.com",
    "industry_description": "Hair salon offering cuts, colour and styling.",
    "time_zone": "America/Chicago",
    "age_confirmed": "on",
    "accept_terms": "on",
}


@pytest.mark.django_db
class TestSignup:
    def test_creates_person_business_and_owner_pending_review(self, client):
        response = client.post("/signup/", SIGNUP)
        assert response.status_code == 302 and response["Location"] == "/app/"
        user = User.objects.get(email="maria@lopezsalon.com")
        business = Business.objects.get(legal_name="Lopez Hair Studio LLC")
        assert business.vetting_status == Business.Vetting.PENDING_REVIEW
        assert business.brand_domains == ["lopezsalon.com"]
        assert Membership.objects.get(user=user, business=business).role == Role.OWNER
        dashboard = client.get("/app/")
        assert b"Pending review" in dashboard.content
        assert b"waiting for review" in dashboard.content
        assert AuditEvent.objects.filter(action="business.signup").exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("email", "not-an-email"),
            ("password", "short"),
            ("website", "not a url"),
            ("age_confirmed", ""),
            ("accept_terms", ""),
            ("industry_description", ""),
        ],
    )
    def test_bad_input_is_an_error_next_to_the_field(self, client, field, value):
        data = {**SIGNUP, field: value}
        if not value:
            data.pop(field)
        response = client.post("/signup/", data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert f'id="id_{field}_error"'.encode() in response.content
        assert not Business.objects.exists()

    def test_duplicate_email_is_refused_without_side_effects(self, client, owner):
        response = client.post("/signup/", {**SIGNUP, "email": owner.user.email})
        assert response.status_code == 200
        assert "email" in response.context["form"].errors
        assert Business.objects.count() == 1

    def test_script_in_fields_is_rendered_escaped(self, client):
        client.post("/signup/", {**SIGNUP, "display_name": "<script>alert(1)</script>"})
        html = client.get("/app/").content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.django_db
class TestInvitations:
    @pytest.fixture(autouse=True)
    def _on_commit(self, django_capture_on_commit_callbacks):
        self.capture = django_capture_on_commit_callbacks

    def _invite(self, client, login, inviter, email="new@example.com", role="agent"):
        login(client, inviter)
        with self.capture(execute=True):
            response = client.post("/app/team/", {"email": email, "role": role})
        assert response.status_code == 302, response.content
        link = re.search(r"https?://[^/\s]+(/invitations/\S+/)", mail.outbox[-1].body)
        return link.group(1)

    def test_invite_by_email_and_accept_as_new_person(self, client, login, owner):
        path = self._invite(client, login, owner)
        client.logout()
        page = client.get(path)
        assert page.status_code == 200 and owner.business.display_name.encode() in page.content
        refused = client.post(
            path, {"full_name": "Neo Agent", "password": "another-long-passphrase-7"}
        )
        assert refused.status_code == 400
        assert "age_confirmed" in refused.context["form"].errors
        response = client.post(
            path,
            {
                "full_name": "Neo Agent",
                "password": "another-long-passphrase-7",
                "age_confirmed": "on",
            },
        )
        assert response.status_code == 302
        member = Membership.objects.get(business=owner.business, user__email="new@example.com")
        assert member.role == Role.AGENT
        # the link works once
        client.logout()
        assert client.get(path).status_code == 404

    def test_invitation_for_someone_else_is_refused(self, client, login, owner, other_owner):
        path = self._invite(client, login, owner, email="target@example.com")
        login(client, other_owner)
        response = client.post(path)
        assert response.status_code == 400
        assert not Membership.objects.filter(
            business=owner.business, user=other_owner.user
        ).exists()

    def test_withdrawn_invitation_no_longer_works(self, client, login, owner):
        path = self._invite(client, login, owner)
        invitation = owner.business.invitations.get()
        client.post(f"/app/team/invitations/{invitation.uuid}/revoke/")
        client.logout()
        assert client.get(path).status_code == 404

    def test_remove_member_cuts_access(self, client, login, members):
        agent = members[Role.AGENT]
        login(client, members[Role.OWNER])
        client.post(f"/app/team/{agent.uuid}/remove/")
        assert not Membership.objects.filter(pk=agent.pk).exists()
        login(client, agent)  # session still names the business, membership gone
        assert client.get("/app/").status_code == 302


@pytest.mark.django_db
class TestApiKeysPage:
    def test_secret_is_shown_once(self, client, login, owner):
        login(client, owner)
        response = client.post("/app/api-keys/", {"name": "Booking system", "role": "agent"})
        assert response.status_code == 302
        first = client.get("/app/api-keys/").content.decode()
        secret = re.search(r"cyc_[0-9a-f]{8}_[\w-]{43}", first).group(0)
        assert ApiKey.objects.get(business=owner.business).key_hash not in first
        second = client.get("/app/api-keys/").content.decode()
        assert secret not in second

    def test_missing_name_is_a_field_error(self, client, login, owner):
        login(client, owner)
        response = client.post("/app/api-keys/", {"name": "", "role": "agent"})
        assert response.status_code == 400
        assert "name" in response.context["form"].errors


@pytest.mark.django_db
class TestBusinessSwitch:
    def test_member_of_two_businesses_switches(self, client, owner, other_business):
        Membership.objects.create(business=other_business, user=owner.user, role=Role.VIEWER)
        client.force_login(owner.user)
        client.post("/app/switch/", {"business": str(other_business.uuid)})
        assert client.get("/app/").context["business"] == other_business

    def test_cannot_switch_into_a_business_one_is_not_in(self, client, owner, other_business):
        client.force_login(owner.user)
        assert (
            client.post("/app/switch/", {"business": str(other_business.uuid)}).status_code == 404
        )

    def test_a_malformed_business_id_is_404_and_keeps_the_current_one(self, client, owner):
        client.force_login(owner.user)
        assert client.post("/app/switch/", {"business": "not-a-uuid"}).status_code == 404
        assert client.get("/app/").context["business"] == owner.business


def _message(response) -> str:
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)][-1]


@pytest.mark.django_db
class TestRefusals:
    def test_a_blocked_industry_is_an_error_next_to_it(self, client):
        data = {
            **SIGNUP,
            "legal_name": "QuickCash Lending LLC",
            "display_name": "QuickCash Lending",
            "industry_description": "Payday loans and cash advances approved in minutes.",
            "website": "https://quickcashloans.com",
        }
        response = client.post("/signup/", data)
        assert response.status_code == 200
        (error,) = response.context["form"].errors["industry_description"]
        assert error.startswith("We cannot accept this business on our platform:")
        assert not Business.objects.exists() and not User.objects.exists()

    def test_a_link_shortener_website_is_an_error_next_to_the_website(self, client):
        data = {**SIGNUP, "website": "https://bit.ly/brightsmile"}
        response = client.post("/signup/", data)
        assert response.status_code == 200
        errors = response.context["form"].errors
        (error,) = errors["website"]
        assert "link shortener" in error and "own website" in error
        assert "industry_description" not in errors
        assert not Business.objects.exists() and not User.objects.exists()

    def test_signed_in_people_skip_signup_and_home(self, owner_client):
        assert owner_client.get("/signup/")["Location"] == "/app/"
        assert owner_client.get("/")["Location"] == "/app/"

    def test_inviting_a_member_again_or_an_owner_as_admin(self, client, login, members):
        login(client, members[Role.OWNER])
        agent = members[Role.AGENT]
        response = client.post("/app/team/", {"email": agent.user.email, "role": "viewer"})
        assert response.status_code == 400
        assert response.context["invite_form"].errors["email"] == [
            "This person is already a member."
        ]
        login(client, members[Role.ADMIN])
        response = client.post("/app/team/", {"email": "boss@example.com", "role": "owner"})
        assert response.status_code == 400
        assert response.context["invite_form"].non_field_errors() == [
            "Only an owner can invite another owner."
        ]
        assert not members[Role.OWNER].business.invitations.exists()
        assert not mail.outbox

    def test_an_unknown_role_changes_nothing(self, client, login, members):
        login(client, members[Role.OWNER])
        agent = members[Role.AGENT]
        response = client.post(f"/app/team/{agent.uuid}/role/", {"role": "emperor"})
        assert response["Location"] == "/app/team/"
        assert _message(response) == "Choose a role from the list."
        agent.refresh_from_db()
        assert agent.role == Role.AGENT

    def test_accepting_an_unknown_invitation_is_404(self, client):
        response = client.post("/invitations/no-such-token/", {"full_name": "X"})
        assert response.status_code == 404
        assert response.templates[0].name == "accounts/invitation_invalid.html"

    def test_accepting_as_a_stranger_with_an_existing_account_says_log_in(
        self, client, login, owner, django_capture_on_commit_callbacks
    ):
        from tests.factories.accounts import UserFactory

        existing = UserFactory(email="known@example.com")
        login(client, owner)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/app/team/", {"email": existing.email, "role": "agent"})
        path = re.search(r"https?://[^/\s]+(/invitations/\S+/)", mail.outbox[-1].body).group(1)
        client.logout()
        data = {"full_name": "Someone", "password": "another-long-passphrase-7"}
        response = client.post(path, {**data, "age_confirmed": "on"})
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "An account with this email exists: log in first, then open the link again."
        ]
        assert not Membership.objects.filter(business=owner.business, user=existing).exists()


@pytest.mark.django_db
def test_an_overlong_email_is_a_field_error_on_signup_invite_and_email_change(owner_client, owner):
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Invitation

    signup = Client().post("/signup/", signup_data(email=LONG_EMAIL))
    assert "at most 254 characters" in signup.context["form"].errors["email"][0]
    assert not User.objects.filter(full_name="Nina Owner").exists()
    invite = owner_client.post("/app/team/", {"email": LONG_EMAIL, "role": "agent"})
    assert invite.status_code == 400 and 'id="id_email_error"' in invite.content.decode()
    assert not Invitation.objects.exists()
    change = owner_client.post(
        reverse("portal:my-account-email"),
        {"email-email": LONG_EMAIL, "email-password": "whatever-it-is"},
    )
    assert change.status_code == 400 and "at most 254 characters" in change.content.decode()
    assert not mail.outbox
