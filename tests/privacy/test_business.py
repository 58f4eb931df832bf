"""A business owner: export all of the business's data; close the business."""

import json

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.errors import Conflict, PermissionDenied
from accounts.models import AuditEvent, Business, BusinessStatusChange
from accounts.privacy import exports
from accounts.privacy import services as privacy
from accounts.roles import Role


@pytest.fixture
def extra_section():
    exports.register("test_contacts", lambda business: [{"business": business.display_name}])
    exports.register("test_broken", lambda business: 1 / 0)
    yield
    exports._business_sections.pop("test_contacts")
    exports._business_sections.pop("test_broken")


@pytest.mark.django_db
def test_owner_exports_every_registered_section(owner_client, owner, other_owner, extra_section):
    services.api_key_create(business=owner.business, name="booking", role="agent", by=owner)
    page = owner_client.get(reverse("portal:business-data")).content.decode()
    assert "test_contacts" in page and "accounts" in page

    response = owner_client.post(reverse("portal:business-export"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["business_uuid"] == str(owner.business.uuid)
    accounts_part = data["sections"]["accounts"]
    assert accounts_part["business"]["legal_name"] == owner.business.legal_name
    assert owner.user.email in [m["email"] for m in accounts_part["members"]]
    key = accounts_part["api_keys"][0]
    assert key["name"] == "booking" and "key_hash" not in key
    assert "api_key.create" in [e["action"] for e in accounts_part["audit_trail"]]
    assert data["sections"]["test_contacts"] == [{"business": owner.business.display_name}]
    # a failing section is named, not silently missing
    assert "ZeroDivisionError" in data["errors"]["test_broken"]
    # only this business
    assert other_owner.business.legal_name not in response.content.decode()
    event = AuditEvent.objects.get(action="business.export")
    assert event.actor == owner.user and event.business == owner.business


@pytest.mark.django_db
def test_only_an_owner_exports_the_business(members):
    with pytest.raises(PermissionDenied):
        privacy.business_export_create(membership=members[Role.ADMIN])


@pytest.mark.django_db
def test_close_needs_the_typed_name(owner_client, owner):
    response = owner_client.post(reverse("portal:business-close"), {"confirmation": "yes"})
    assert response.status_code == 400
    assert "exactly to confirm" in response.content.decode()
    owner.business.refresh_from_db()
    assert owner.business.vetting_status == Business.Vetting.APPROVED


@pytest.mark.django_db
def test_owner_closes_the_business(
    owner_client, owner, members, django_capture_on_commit_callbacks
):
    key, _ = services.api_key_create(business=owner.business, name="k", role="agent", by=owner)
    name = owner.business.display_name
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("portal:business-close"), {"confirmation": name.upper()}
        )
    assert response.status_code == 302
    # every member is told, by email
    notice = next(m for m in mail.outbox if m.subject == f"{name} was closed")
    assert set(notice.to) == {m.user.email for m in members.values()}
    assert "Business data" in notice.body
    business = Business.objects.get(pk=owner.business.pk)
    assert business.vetting_status == Business.Vetting.TERMINATED
    assert business.vetting_reason == "closed by owner"
    assert not business.can_send
    change = BusinessStatusChange.objects.get(business=business, to_status="TERMINATED")
    assert change.actor == owner.user and change.reason == "closed by owner"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert AuditEvent.objects.filter(action="business.close", actor=owner.user).exists()
    page = owner_client.get(reverse("portal:business-data")).content.decode()
    assert "Closed" in page and "closed by owner" in page
    with pytest.raises(Conflict):
        privacy.business_close(membership=owner, confirmation=name)


@pytest.mark.django_db
def test_an_admin_cannot_close(client, login, members):
    login(client, members[Role.ADMIN])
    business = members[Role.ADMIN].business
    response = client.post(
        reverse("portal:business-close"), {"confirmation": business.display_name}
    )
    assert response.status_code == 403
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.APPROVED
