"""My account: see and correct, export, delete, marketing email opt-out."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.errors import Conflict, ValidationFailed
from accounts.models import AuditEvent, Membership, User
from accounts.privacy import exports
from accounts.privacy import services as privacy
from accounts.privacy.models import CookieConsentRecord, UsageLogEntry
from accounts.roles import Role
from tests.factories.accounts import PASSWORD, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_my_account_shows_my_data(owner_client, owner):
    page = owner_client.get(reverse("portal:my-account")).content.decode()
    assert owner.user.email in page
    assert owner.business.display_name in page
    assert "Download my data" in page and "Delete my account" in page


@pytest.mark.django_db
def test_a_person_without_a_business_still_has_their_account_page(client):
    user = UserFactory()
    client.force_login(user)
    response = client.get(reverse("portal:my-account"))
    assert response.status_code == 200
    assert "not a member of any business" in response.content.decode()


@pytest.mark.django_db
def test_correct_my_name(owner_client, owner):
    response = owner_client.post(reverse("portal:my-account"), {"full_name": "  Ada Lovelace "})
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.full_name == "Ada Lovelace"
    assert AuditEvent.objects.filter(action="user.update", actor=owner.user).exists()
    response = owner_client.post(reverse("portal:my-account"), {"full_name": ""})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


@pytest.mark.django_db
def test_email_change_needs_the_password_then_the_link(owner_client, owner, client):
    url = reverse("portal:my-account-email")
    response = owner_client.post(url, {"email-email": "new@example.com", "email-password": "nope"})
    assert response.status_code == 400
    assert "not your current password" in response.content.decode()
    assert not mail.outbox

    response = owner_client.post(
        url, {"email-email": "New@Example.com", "email-password": PASSWORD}
    )
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.email != "new@example.com"  # not until the link is opened
    to_new = next(m for m in mail.outbox if m.to == ["new@example.com"])
    assert any(m.to == [owner.user.email] for m in mail.outbox)  # the old address is told
    link = next(w for w in to_new.body.split() if "/account/email/confirm/" in w)
    path = link.replace("http://127.0.0.1:8000", "")

    assert client.get(path).status_code == 200  # the page asks to confirm
    response = client.post(path)
    assert response.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.email == "new@example.com"
    # a used link does not work twice (it is bound to the old address)
    response = client.post(path)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


@pytest.mark.django_db
def test_email_change_refuses_an_address_in_use(owner, members):
    taken = members[Role.VIEWER].user.email
    with pytest.raises(ValidationFailed) as exc:
        privacy.user_email_change_request(user=owner.user, new_email=taken, password=PASSWORD)
    assert "email" in exc.value.fields


@pytest.mark.django_db
def test_forged_email_change_token_is_refused(client):
    response = client.post(reverse("email-change-confirm", kwargs={"token": "forged:abc"}))
    assert response.status_code == 400


# --- export -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_my_data_as_json(owner_client, owner):
    owner_client.post(
        reverse("cookie-consent"), {"action": "customise", "performance": "on", "next": "/"}
    )
    owner_client.get(reverse("portal:dashboard"))  # logged: performance allowed
    services.audit_record(action="test.action", actor=owner.user, business=owner.business)
    previous = exports._user_sections.get("policy_acceptances")
    exports.register_user("policy_acceptances", lambda user: [{"document": "terms", "v": 3}])
    try:
        response = owner_client.post(reverse("portal:my-account-export"))
    finally:
        if previous is None:
            exports._user_sections.pop("policy_acceptances")
        else:
            exports._user_sections["policy_acceptances"] = previous
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["email"] == owner.user.email
    assert data["memberships"][0]["business_uuid"] == str(owner.business.uuid)
    assert data["memberships"][0]["role"] == "owner"
    assert data["cookie_consents"][0]["choices"]["performance"] is True
    assert data["usage_log"][0]["path"] == "/app/"
    assert "test.action" in [e["action"] for e in data["audit_events_as_actor"]]
    assert data["sections"]["policy_acceptances"] == [{"document": "terms", "v": 3}]
    assert data["errors"] == {}
    assert AuditEvent.objects.filter(action="user.export", actor=owner.user).exists()


@pytest.mark.django_db
def test_export_holds_nobody_elses_data(owner_client, owner, other_owner):
    UsageLogEntry.objects.create(user=other_owner.user, path="/app/secret/")
    data = json.loads(owner_client.post(reverse("portal:my-account-export")).content)
    text = json.dumps(data)
    assert other_owner.user.email not in text and "/app/secret/" not in text


# --- delete -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_last_owner_cannot_delete_their_account(owner_client, owner):
    page = owner_client.get(reverse("portal:my-account-delete")).content.decode()
    assert "only owner of" in page
    response = owner_client.post(
        reverse("portal:my-account-delete"), {"password": PASSWORD, "understood": "on"}
    )
    assert response.status_code == 400
    assert "only owner of" in response.content.decode()
    owner.user.refresh_from_db()
    assert owner.user.erased_at is None


@pytest.mark.django_db
def test_wrong_password_does_not_delete(client, login, members):
    agent = members[Role.AGENT]
    login(client, agent)
    response = client.post(
        reverse("portal:my-account-delete"), {"password": "nope", "understood": "on"}
    )
    assert response.status_code == 400
    agent.user.refresh_from_db()
    assert agent.user.erased_at is None


@pytest.mark.django_db
def test_delete_my_account_anonymises_and_keeps_legal_records(client, login, members):
    agent = members[Role.AGENT]
    user = agent.user
    email, uuid = user.email, user.uuid
    login(client, agent)
    client.post(reverse("cookie-consent"), {"action": "accept_all", "next": "/"})
    client.get(reverse("portal:dashboard"))
    services.audit_record(action="contact.create", actor=user, business=agent.business)
    event_ids = list(AuditEvent.objects.filter(actor=user).values_list("pk", flat=True))
    assert UsageLogEntry.objects.filter(user=user).exists()

    response = client.post(
        reverse("portal:my-account-delete"), {"password": PASSWORD, "understood": "on"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")

    user.refresh_from_db()
    assert user.email == f"erased-{uuid}@erased.invalid"
    assert user.full_name == "" and not user.has_usable_password() and not user.is_active
    assert user.erased_at is not None
    assert not Membership.objects.filter(user=user).exists()
    assert not UsageLogEntry.objects.filter(user=user).exists()
    # the legal records stay, detached from the person
    kept = AuditEvent.objects.filter(pk__in=event_ids)
    assert kept.count() == len(event_ids) and not kept.filter(actor__isnull=False).exists()
    assert CookieConsentRecord.objects.filter(user__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="user.erase", object_id=str(uuid)).exists()
    assert AuditEvent.objects.filter(action="membership.erase", business=agent.business).exists()
    # logged out, and cannot log in again
    assert client.get(reverse("portal:my-account")).status_code == 302
    assert not user.check_password(PASSWORD)
    response = client.post(reverse("login"), {"username": email, "password": PASSWORD})
    assert response.status_code != 302  # the login form refuses
    assert not User.objects.filter(email=email).exists()


@pytest.mark.django_db
def test_owner_may_delete_once_another_owner_exists_or_the_business_is_closed(owner):
    second = MembershipFactory(business=owner.business, role=Role.OWNER)
    privacy.user_erase(user=second.user, actor=second.user, reason="self")
    with pytest.raises(Conflict, match="only owner"):
        privacy.user_erase(user=owner.user, actor=owner.user, reason="self")
    privacy.business_close(membership=owner, confirmation=owner.business.display_name)
    privacy.user_erase(user=owner.user, actor=owner.user, reason="self")
    owner.user.refresh_from_db()
    assert owner.user.erased_at is not None
    with pytest.raises(Conflict, match="already"):
        privacy.user_erase(user=owner.user, actor=owner.user, reason="self")


# --- marketing email --------------------------------------------------------------------


@pytest.mark.django_db
def test_marketing_email_goes_through_the_helper_and_honours_the_opt_out(owner_client, owner):
    user = owner.user
    assert privacy.marketing_email_send(user=user, subject="News", body="Hello")
    sent = mail.outbox[-1]
    assert "Unsubscribe" in sent.body
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    response = owner_client.post(reverse("portal:my-account-marketing"), {})  # box unticked
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.marketing_email_opt_out
    count = len(mail.outbox)
    assert not privacy.marketing_email_send(user=user, subject="News", body="Hello")
    assert len(mail.outbox) == count

    owner_client.post(reverse("portal:my-account-marketing"), {"mkt-marketing_email": "on"})
    user.refresh_from_db()
    assert not user.marketing_email_opt_out
    actions = set(
        AuditEvent.objects.filter(object_id=str(user.uuid)).values_list("action", flat=True)
    )
    assert {"user.marketing_opt_out", "user.marketing_opt_in"} <= actions


@pytest.mark.django_db
def test_unsubscribe_link_works_without_login(client, owner):
    user = owner.user
    privacy.marketing_email_send(user=user, subject="News", body="Hello")
    url = mail.outbox[-1].extra_headers["List-Unsubscribe"].strip("<>")
    path = url.replace("http://127.0.0.1:8000", "")
    assert client.get(path).status_code == 200
    user.refresh_from_db()
    assert not user.marketing_email_opt_out  # a GET (link preview) changes nothing
    response = client.post(path)  # one-click: no CSRF token, no session
    assert response.status_code == 200
    assert "no more marketing email" in response.content.decode()
    user.refresh_from_db()
    assert user.marketing_email_opt_out
    bad = reverse("marketing-unsubscribe", kwargs={"token": "x" + path.split("/")[-2]})
    assert client.post(bad).status_code == 404


@pytest.mark.django_db
def test_erased_people_get_no_marketing(owner, members):
    user = members[Role.VIEWER].user
    privacy.user_erase(user=user, actor=user, reason="self")
    assert not privacy.marketing_email_send(user=user, subject="News", body="Hello")
