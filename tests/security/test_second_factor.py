"""Business users' second factor and sign-in (issue 18, finding 7): TOTP with recovery
codes set up from the account page, asked at login, required by an owner for the team; the
lockout counts failures per address across emails; emails match in any case."""

import re

import pytest
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.models import AuditEvent, Membership
from accounts.roles import Role
from accounts.security import services
from accounts.security.middleware import GUARDED
from tests.factories.accounts import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, offset):06d}"


def _password_login(client, email: str, password: str = PASSWORD, ip: str = "198.51.100.1"):
    return client.post(reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_set_up_from_the_account_page_with_a_qr_code_and_a_typed_code(
    owner_client, owner, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    account = owner_client.get(reverse("portal:my-account")).content.decode()
    assert reverse("portal:second-factor") in account
    status = owner_client.get(reverse("portal:second-factor")).content.decode()
    assert "Off." in status and reverse("portal:second-factor-setup") in status

    page = owner_client.get(reverse("portal:second-factor-setup")).content.decode()
    device = TOTPDevice.objects.get(user=owner.user, confirmed=False)
    assert "<svg" in page and 'class="qrline"' in page  # drawn here, no outside service
    assert "otpauth://totp/" in page and device.config_url.split("secret=")[1][:16] in page
    assert "http" not in page.split("<svg", 1)[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )

    wrong = owner_client.post(reverse("portal:second-factor-setup"), {"token": "000000"})
    assert wrong.status_code == 400 and "6-digit code" in wrong.content.decode()
    assert not services.has_second_factor(user=owner.user)

    done = owner_client.post(reverse("portal:second-factor-setup"), {"token": _code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([^<]+)</code></li>", done.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    assert services.has_second_factor(user=owner.user)
    assert AuditEvent.objects.filter(action="user.second_factor_on").exists()
    # this session typed the code: the portal is open
    assert owner_client.get(reverse("portal:dashboard")).status_code == 200


@pytest.fixture
def device(owner):
    return TOTPDevice.objects.create(user=owner.user, name="app", confirmed=True)


def test_login_asks_for_the_code_when_set_up(client, owner, device, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code, then the right one at once
    response = _password_login(client, owner.user.email)
    assert response.status_code == 302
    dashboard = client.get(reverse("portal:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("portal:second-factor-verify"))
    # nothing of the portal, the account page or the set-up without the code
    for name in ("portal:my-account", "portal:second-factor-setup", "portal:second-factor"):
        assert client.get(reverse(name)).status_code == 302
    assert client.post(reverse("portal:second-factor-disable")).status_code == 302
    assert services.has_second_factor(user=owner.user)

    verify = reverse("portal:second-factor-verify")
    wrong = client.post(verify, {"token": "123456", "next": "/app/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    right = client.post(verify, {"token": _code(device), "next": "/app/team/"})
    assert right.status_code == 302 and right["Location"] == "/app/team/"
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_the_password_alone_cannot_change_the_password(client, owner, device):
    # second review: /accounts/password/change/ lay outside the guarded prefixes, so a
    # session with the password but no code could set a new password and lock the owner out
    _password_login(client, owner.user.email)
    change = reverse("password_change")
    page = client.get(change)
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("portal:second-factor-verify"))
    new = "another-long-passphrase-42"
    posted = client.post(
        change, {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert posted.status_code == 302
    assert posted["Location"].startswith(reverse("portal:second-factor-verify"))
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD) and not owner.user.check_password(new)


def test_a_recovery_code_signs_in_once(client, owner, device, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    codes = services.recovery_codes_regenerate(user=owner.user)
    _password_login(client, owner.user.email)
    verify = reverse("portal:second-factor-verify")
    assert client.post(verify, {"token": codes[0], "next": "/app/"}).status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 200
    client.post(reverse("logout"))
    _password_login(client, owner.user.email)
    assert client.post(verify, {"token": codes[0], "next": "/app/"}).status_code == 400
    assert client.post(verify, {"token": codes[1], "next": "/app/"}).status_code == 302


def test_verify_never_redirects_off_site(client, owner, device):
    _password_login(client, owner.user.email)
    response = client.post(
        reverse("portal:second-factor-verify"),
        {"token": _code(device), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/app/"


def test_an_owner_can_require_it_and_members_without_one_are_sent_to_set_it_up(
    client, login, owner, business
):
    agent = MembershipFactory(business=business, role=Role.AGENT.value)
    login(client, agent)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    # an agent cannot make the rule
    assert client.post(reverse("portal:second-factor-team"), {"required": "on"}).status_code == 403

    login(client, owner)
    client.post(reverse("portal:second-factor-team"), {"required": "on"})
    assert services.business_requires_second_factor(business=business)
    assert AuditEvent.objects.filter(action="business.second_factor_required").exists()

    login(client, agent)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:second-factor-setup")
    setup = client.get(reverse("portal:second-factor-setup"))
    assert setup.status_code == 200 and "requires a second factor" in setup.content.decode()
    device = TOTPDevice.objects.get(user=agent.user, confirmed=False)
    client.post(reverse("portal:second-factor-setup"), {"token": _code(device)})
    assert client.get(reverse("portal:dashboard")).status_code == 200

    login(client, owner)  # the owner lifts it
    client.post(reverse("portal:second-factor-team"), {})
    assert not services.business_requires_second_factor(business=business)


def test_emails_match_in_any_case_at_login(client, owner):
    response = _password_login(client, owner.user.email.upper())
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_the_lockout_counts_failures_per_address_across_emails(client, owner, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 4
    attacker = "203.0.113.66"
    for i in range(4):  # a different email each time: axes' per-email counter never trips
        assert (
            _password_login(client, f"guess{i}@example.com", "nope", ip=attacker).status_code == 200
        )
    # that address is now refused for every account, even with the right password
    locked = _password_login(client, owner.user.email, ip=attacker)
    assert locked.status_code == 429 and "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # the owner, from their own address, is not
    assert _password_login(client, owner.user.email, ip="198.51.100.2").status_code == 302


def test_typing_an_email_in_capitals_does_not_buy_fresh_attempts(client, owner, settings):
    settings.AXES_FAILURE_LIMIT = 3
    ip = "203.0.113.67"
    email = owner.user.email
    for typed in (email, email.upper(), email.title()):
        _password_login(client, typed, "nope", ip=ip)
    # one account, one counter: locked out for it
    assert _password_login(client, email.upper(), ip=ip).status_code == 429


def test_the_password_alone_cannot_accept_an_invitation(client, owner, device, other_owner):
    # /invitations/<token>/ lay outside the guarded prefixes: a session with the password but
    # no code could join another business as this user
    invitation, token = account_services.invitation_create(
        business=other_owner.business,
        email=owner.user.email,
        role=Role.AGENT.value,
        invited_by=other_owner,
        ip=None,
    )
    _password_login(client, owner.user.email)
    link = reverse("invitation-accept", kwargs={"token": token})
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:second-factor-verify"))
    assert not Membership.objects.filter(user=owner.user, business=other_owner.business).exists()
    invitation.refresh_from_db()
    assert invitation.is_open
    # with the code, the same link works
    client.post(reverse("portal:second-factor-verify"), {"token": _code(device), "next": "/app/"})
    assert client.post(link).status_code == 302
    assert Membership.objects.filter(user=owner.user, business=other_owner.business).exists()


def test_the_password_alone_is_a_visitor_on_public_pages(client, owner, device):
    # pages outside the portal that know a signed-in user (support, booking) see a visitor:
    # no name or email filled in, nothing recorded under the account or its business
    _password_login(client, owner.user.email)
    for name in ("public:support", "public:book"):
        page = client.get(reverse(name))
        assert page.status_code == 200
        assert owner.user.email not in page.content.decode()
    client.post(reverse("portal:second-factor-verify"), {"token": _code(device), "next": "/app/"})
    assert owner.user.email in client.get(reverse("public:support")).content.decode()


def test_the_password_alone_can_still_log_out(client, owner, device):
    _password_login(client, owner.user.email)
    assert client.post(reverse("logout")).status_code == 302
    dashboard = client.get(reverse("portal:dashboard"))
    assert dashboard["Location"].startswith(reverse("login"))


def test_every_page_behind_a_login_is_behind_the_second_factor():
    # a view that needs a signed-in user must sit under a guarded prefix, or the password
    # alone reaches it; the walk finds a new one the day it is added
    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern, prefix + str(pattern.pattern))
            else:
                yield "/" + prefix + str(pattern.pattern), pattern.callback

    unguarded = [
        route
        for route, callback in walk(get_resolver())
        if issubclass(getattr(callback, "view_class", object), LoginRequiredMixin)
        and not route.startswith(GUARDED)
    ]
    assert unguarded == []
