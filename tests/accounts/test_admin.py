"""Compliance staff actions in the admin write the audit trail."""

import pytest
from django.db import DatabaseError, transaction

from accounts import services
from accounts.models import AuditEvent, Business
from accounts.roles import Role
from tests.factories.accounts import BusinessFactory, UserFactory


def _act(client, action, business, reason=""):
    return client.post(
        "/admin/accounts/business/",
        {"action": action, "_selected_action": [business.pk], "apply": "1", "reason": reason},
        REMOTE_ADDR="10.1.2.3",
    )


@pytest.mark.django_db
class TestVettingActions:
    def test_approve_is_audited_with_actor_and_ip(self, staff_client):
        business = BusinessFactory(vetting_status=Business.Vetting.PENDING_REVIEW)
        _act(staff_client, "set_approved", business, "Website and industry checked.")
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.APPROVED
        event = AuditEvent.objects.get(action="business.vetting.approved")
        assert event.actor == staff_client.staff
        assert event.ip == "10.1.2.3"
        assert event.object_id == str(business.uuid)
        assert event.detail["reason"] == "Website and industry checked."
        assert business.status_history.get().actor == staff_client.staff

    def test_suspend_requires_a_reason(self, staff_client):
        business = BusinessFactory()
        response = _act(staff_client, "set_suspended", business, "")
        assert response.status_code == 200  # the reason page again, with an error
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.APPROVED
        assert not AuditEvent.objects.filter(action="business.vetting.suspended").exists()

    @pytest.mark.parametrize(
        ("action", "start", "end"),
        [
            ("set_suspended", Business.Vetting.APPROVED, Business.Vetting.SUSPENDED),
            ("reinstate", Business.Vetting.SUSPENDED, Business.Vetting.APPROVED),
            ("set_terminated", Business.Vetting.APPROVED, Business.Vetting.TERMINATED),
        ],
    )
    def test_each_action_moves_and_audits(self, staff_client, action, start, end):
        business = BusinessFactory(vetting_status=start)
        _act(staff_client, action, business, "Carrier complaint #123")
        business.refresh_from_db()
        assert business.vetting_status == end
        event = AuditEvent.objects.get(action=f"business.vetting.{end.lower()}")
        assert event.detail == {"from": start, "to": end, "reason": "Carrier complaint #123"}

    def test_terminated_is_final(self, staff_client):
        business = BusinessFactory(vetting_status=Business.Vetting.TERMINATED)
        _act(staff_client, "reinstate", business, "oops")
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.TERMINATED

    def test_reason_page_asks_first(self, staff_client):
        business = BusinessFactory()
        response = staff_client.post(
            "/admin/accounts/business/",
            {"action": "set_suspended", "_selected_action": [business.pk]},
        )
        assert response.status_code == 200
        assert b"give a reason" in response.content
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.APPROVED

    def test_revoke_key_action_is_audited(self, staff_client, owner):
        key, _ = services.api_key_create(
            business=owner.business, name="k", role=Role.AGENT, by=owner
        )
        staff_client.post(
            "/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.pk]}
        )
        key.refresh_from_db()
        assert key.revoked_at is not None
        event = AuditEvent.objects.get(action="api_key.revoke")
        assert event.actor == staff_client.staff


@pytest.mark.django_db(transaction=True)
def test_audit_trail_is_append_only_in_the_database():
    event = services.audit_record(action="test.event", object_type="x", object_id="1")
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.django_db(transaction=True)
def test_deleting_an_actor_detaches_but_keeps_the_event():
    user = UserFactory()
    event = services.audit_record(action="test.event", actor=user, object_type="x", object_id="1")
    user.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor is None and event.actor_label == user.email


@pytest.mark.django_db
def test_the_second_factor_apps_have_readable_names_in_the_admin(staff_client):
    # django-otp's apps carry no verbose name: the index showed "OTP_TOTP" and "OTP_STATIC"
    page = staff_client.get("/admin/").content.decode()
    assert "Second factor: authenticator apps" in page
    assert "Second factor: recovery codes" in page
    assert "Otp_Totp" not in page and "Otp_Static" not in page  # the label, title-cased
