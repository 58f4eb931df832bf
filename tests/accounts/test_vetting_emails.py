"""The owners hear by email what the compliance team decided about their business."""

import pytest
from django.core import mail

from accounts.models import Business
from accounts.roles import Role
from tests.factories.accounts import BusinessFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _act(client, action, business, reason=""):
    return client.post(
        "/admin/accounts/business/",
        {"action": action, "_selected_action": [business.pk], "apply": "1", "reason": reason},
    )


def _business(status):
    business = BusinessFactory(vetting_status=status, display_name="Rosa's Salon")
    owner = MembershipFactory(business=business, role=Role.OWNER.value)
    MembershipFactory(business=business, role=Role.AGENT.value)
    return business, owner


def test_approval_emails_the_owner_only(staff_client, django_capture_on_commit_callbacks):
    business, owner = _business(Business.Vetting.PENDING_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(staff_client, "set_approved", business)
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == [owner.user.email]  # the agent is not told
    assert email.subject == "Rosa's Salon is approved on Contact Your Client"
    assert "Our compliance team approved Rosa's Salon." in email.body
    assert "/app/" in email.body
    assert "reason" not in email.body  # none was given


def test_refusal_emails_the_owner_with_the_reason(staff_client, django_capture_on_commit_callbacks):
    business, owner = _business(Business.Vetting.PENDING_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, "set_terminated", business, "Lending is not allowed.")
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.TERMINATED
    [email] = mail.outbox
    assert email.to == [owner.user.email]
    assert email.subject == "Rosa's Salon was not approved on Contact Your Client"
    assert "could not approve Rosa's Salon" in email.body
    assert "The reason given: Lending is not allowed." in email.body


@pytest.mark.parametrize(
    ("action", "start", "subject"),
    [
        ("set_suspended", Business.Vetting.APPROVED, "Sending is suspended for Rosa's Salon"),
        (
            "reinstate",
            Business.Vetting.SUSPENDED,
            "Rosa's Salon is reinstated on Contact Your Client",
        ),
        (
            "set_terminated",
            Business.Vetting.APPROVED,
            "Rosa's Salon was closed on Contact Your Client",
        ),
    ],
)
def test_every_later_decision_is_emailed(
    staff_client, django_capture_on_commit_callbacks, action, start, subject
):
    business, owner = _business(start)
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, action, business, "Carrier complaint #123")
    [email] = mail.outbox
    assert (email.to, email.subject) == ([owner.user.email], subject)
    assert "The reason given: Carrier complaint #123" in email.body


def test_a_refused_move_sends_nothing(staff_client, django_capture_on_commit_callbacks):
    business, _ = _business(Business.Vetting.TERMINATED)
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, "reinstate", business, "oops")
    assert mail.outbox == []


def test_an_owner_closing_their_business_gets_only_the_closing_email(
    owner_client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            "/app/business/data/close/", {"confirmation": owner.business.display_name}
        )
    owner.business.refresh_from_db()
    assert owner.business.vetting_status == Business.Vetting.TERMINATED, response
    assert [e.subject for e in mail.outbox] == [f"{owner.business.display_name} was closed"]
