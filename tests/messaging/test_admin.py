"""Compliance staff review held messages in the admin."""

import pytest
from django.urls import reverse

from messaging import services
from messaging.models import Message
from policies.decisions import Decision, Reason
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("action", "status"), [("release_held", "QUEUED"), ("reject_held", "BLOCKED")]
)
def test_staff_release_or_reject_held(staff_client, business, monkeypatch, action, status):
    review = Decision((Reason("content.x", "lending", "review", "Check this."),))
    monkeypatch.setattr("policies.services.message_check", lambda **kw: review)
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    held = services.message_enqueue(
        business=business,
        body="Loan? Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
    )
    assert held.status == "HELD"
    client = staff_client
    url = reverse("admin:messaging_message_changelist")
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": action, "_selected_action": [held.pk]})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == status and held.reasons[-1]["gate"] == "review"
    assert Message.objects.count() == 1
