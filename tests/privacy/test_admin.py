"""Staff: "Delete personal data: person under 13", and the privacy records in the admin."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, User
from accounts.roles import Role

ACTION = "erase_under_13"


@pytest.mark.django_db
def test_under_13_action_asks_then_erases_and_audits(staff_client, members):
    child = members[Role.VIEWER].user
    url = reverse("admin:accounts_user_changelist")
    response = staff_client.post(url, {"action": ACTION, "_selected_action": [child.pk]})
    assert response.status_code == 200  # the confirmation page
    assert "person under 13" in response.content.decode()
    child.refresh_from_db()
    assert child.erased_at is None

    response = staff_client.post(
        url,
        {
            "action": ACTION,
            "_selected_action": [child.pk],
            "apply": "1",
            "reason": "parent wrote in, ticket 4411",
        },
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.erased_at is not None and child.full_name == ""
    assert child.email.endswith("@erased.invalid") and not child.is_active
    assert not Membership.objects.filter(user=child).exists()
    event = AuditEvent.objects.get(action="user.erase", object_id=str(child.uuid))
    assert event.actor == staff_client.staff
    assert event.detail["reason"] == "person under 13: parent wrote in, ticket 4411"


@pytest.mark.django_db
def test_under_13_action_works_even_for_a_sole_owner(staff_client, owner):
    """A child must go even if they (wrongly) own a business: the business is left ownerless
    and the audit trail says so, for staff to terminate it."""
    url = reverse("admin:accounts_user_changelist")
    staff_client.post(
        url, {"action": ACTION, "_selected_action": [owner.user.pk], "apply": "1", "reason": ""}
    )
    owner.user.refresh_from_db()
    assert owner.user.erased_at is not None
    event = AuditEvent.objects.get(action="user.erase", object_id=str(owner.user.uuid))
    assert event.detail["reason"] == "person under 13"
    assert event.detail["businesses_left_without_owner"] == [str(owner.business.uuid)]


@pytest.mark.django_db
def test_under_13_action_never_erases_staff(staff_client):
    url = reverse("admin:accounts_user_changelist")
    staff = staff_client.staff
    staff_client.post(
        url, {"action": ACTION, "_selected_action": [staff.pk], "apply": "1", "reason": ""}
    )
    assert User.objects.get(pk=staff.pk).erased_at is None


@pytest.mark.django_db
def test_consent_records_and_usage_log_are_read_only_in_the_admin(staff_client, client):
    client.post(reverse("cookie-consent"), {"action": "reject_all"})
    response = staff_client.get(reverse("admin:privacy_cookieconsentrecord_changelist"))
    assert response.status_code == 200 and "reject_all" in response.content.decode()
    assert staff_client.get(reverse("admin:privacy_cookieconsentrecord_add")).status_code == 403
    response = staff_client.get(reverse("admin:privacy_usagelogentry_changelist"))
    assert response.status_code == 200
