"""Compliance staff: the ledger is read-only with its evidence; chain check; erasure."""

import pytest

from accounts.models import AuditEvent
from consent.models import ConsentEvent, Contact
from tests.factories.consent import OptInFormFactory, opted_in_contact

pytestmark = pytest.mark.django_db


def test_ledger_is_read_only_with_evidence_and_chain_check(staff_client, business):
    contact = opted_in_contact(business=business, kind="marketing")
    event = ConsentEvent.objects.get(contact=contact)
    page = staff_client.get(f"/admin/consent/consentevent/{event.pk}/change/")
    assert page.status_code == 200
    assert b"Personal evidence" in page.content and b"factory" in page.content
    assert b'name="_save"' not in page.content  # nothing to save: read-only
    assert staff_client.post(f"/admin/consent/consentevent/{event.pk}/delete/").status_code == 403
    response = staff_client.post(
        "/admin/consent/consentevent/",
        {"action": "verify_chain", "_selected_action": [event.pk]},
        follow=True,
    )
    assert b"chain intact (1 events)" in response.content


def test_admin_export_and_erase_are_audited(staff_client, business):
    contact = opted_in_contact(business=business, kind="marketing", phone="+13125550401")
    export = staff_client.post(
        "/admin/consent/contact/",
        {"action": "export_contacts", "_selected_action": [contact.pk]},
    )
    assert export.status_code == 200 and b"+13125550401" in export.content
    staff_client.post(
        "/admin/consent/contact/",
        {"action": "erase_contacts", "_selected_action": [contact.pk]},
    )
    contact.refresh_from_db()
    assert contact.erased_at is not None and contact.phone is None
    erase = AuditEvent.objects.get(action="consent.contact_erase")
    assert erase.actor == staff_client.staff
    assert AuditEvent.objects.filter(action="consent.contact_export").exists()
    assert not Contact.objects.filter(phone="+13125550401").exists()


def test_the_opt_in_forms_sites_allowed_have_one_name_in_the_admin_too(staff_client, business):
    """The portal calls the form's allowed origins "Sites allowed"; the admin says the same."""
    form = OptInFormFactory(business=business)
    page = staff_client.get(f"/admin/consent/optinform/{form.pk}/change/").content.decode()
    assert "Sites allowed" in page
    assert "Allowed origins" not in page
