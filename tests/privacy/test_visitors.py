"""Visitors' requests (calls booked, questions to support): a copy and deletion by email,
proven by an emailed link; staff delete a support request; deleted after the period."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail, signing
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.privacy import retention
from accounts.public import services as public
from accounts.public.models import AppointmentRequest, SupportRequest

pytestmark = pytest.mark.django_db

RULE = "visitors' requests deleted after RETENTION_VISITOR_REQUEST_DAYS"
EMAIL = "rosa@salon.example"


def _requests(email=EMAIL, name="Rosa Diaz"):
    appt = public.appointment_request_create(
        name=name, email=email, phone="+14155550123", preferred_times="Tue 10am", ip="203.0.113.5"
    )
    support = public.support_request_create(
        name=name, email=email, subject="Help", body="My card ends 4242, why was I charged?"
    )
    mail.outbox.clear()
    return appt, support


def _ask(client, action, email=EMAIL):
    return client.post(reverse("public:visitor-data"), {"email": email, "action": action})


def _link(client, action) -> str:
    response = _ask(client, action, email="Rosa@Salon.example")
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == [EMAIL]
    return re.search(r"http://testserver(/privacy/my-requests/\S+/)", message.body).group(1)


def test_a_visitor_downloads_what_they_sent_through_the_emailed_link(client):
    appt, support = _requests()
    _requests(email="someone.else@example.com", name="Other Person")
    link = _link(client, "export")
    page = client.get(link)
    assert page.status_code == 200 and EMAIL in page.content.decode()
    response = client.post(link)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert [a["uuid"] for a in data["appointment_requests"]] == [str(appt.uuid)]
    assert [s["body"] for s in data["support_requests"]] == [support.body]
    assert "Other Person" not in response.content.decode()
    assert AppointmentRequest.objects.count() == 2  # a copy changes nothing


def test_a_visitor_deletes_what_they_sent_and_the_audit_keeps_no_address(client, staff_user):
    appt, support = _requests()
    public.appointment_request_set_status(appointment=appt, status="DONE", actor=staff_user)
    public.support_request_answer(request=support, answer="Refunded.", actor=staff_user)
    mail.outbox.clear()
    other_appt, _ = _requests(email="someone.else@example.com", name="Other Person")
    link = _link(client, "erase")
    assert client.get(link).status_code == 200  # a link scanner's GET deletes nothing
    assert AppointmentRequest.objects.filter(email=EMAIL).exists()
    response = client.post(link)
    assert response.status_code == 200 and "We deleted 1 call request" in response.content.decode()
    assert not AppointmentRequest.objects.filter(email=EMAIL).exists()
    assert not SupportRequest.objects.filter(email=EMAIL).exists()
    assert AppointmentRequest.objects.filter(pk=other_appt.pk).exists()
    trail = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert EMAIL not in trail and "Rosa Diaz" not in trail
    assert AuditEvent.objects.filter(action="visitor.erase").count() == 1


def test_the_answer_is_the_same_for_an_address_we_do_not_know(client):
    _requests()
    known = client.get(_ask(client, "export")["Location"]).content.decode()
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    unknown = _ask(client, "export", email="nobody@example.com")
    assert unknown.status_code == 302 and mail.outbox == []
    page = client.get(unknown["Location"]).content.decode()
    assert "If we hold requests sent from nobody@example.com" in page
    assert "If we hold requests sent from rosa@salon.example" in known


@pytest.mark.parametrize("how", ["forged", "altered", "expired", "copy-link-used-to-erase"])
def test_a_bad_link_opens_nothing(client, how, monkeypatch):
    _requests()
    if how == "forged":
        token = signing.dumps({"e": EMAIL, "a": "erase"}, salt="another salt")
    elif how == "altered":
        token = signing.dumps({"e": EMAIL, "a": "export"}, salt=public.VISITOR_DATA_SALT)
        token = token.replace(
            token.split(":")[0], signing.b64_encode(b'{"e":"x","a":"erase"}').decode()
        )
    elif how == "expired":
        token = signing.dumps({"e": EMAIL, "a": "erase"}, salt=public.VISITOR_DATA_SALT)
        monkeypatch.setattr(public, "VISITOR_DATA_MAX_AGE", -1)
    else:
        token = signing.dumps({"e": EMAIL, "a": "export"}, salt=public.VISITOR_DATA_SALT)
        with pytest.raises(public.NotFound):
            public.visitor_data_erase(token=token)
        return
    url = reverse("public:visitor-data-confirm", args=[token])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert AppointmentRequest.objects.filter(email=EMAIL).count() == 1


def test_the_request_form_is_rate_limited_and_checks_its_fields(client):
    bad = client.post(reverse("public:visitor-data"), {"email": "nope", "action": "burn"})
    assert bad.status_code == 400
    for _ in range(public.FORM_LIMIT):
        assert _ask(client, "export", email="x@example.com").status_code == 302
    assert _ask(client, "export", email="x@example.com").status_code == 400


@pytest.mark.parametrize(
    "page", [reverse_lazy("public:support"), reverse_lazy("public:legal-page", args=["privacy"])]
)
def test_the_support_page_and_the_privacy_notice_link_to_the_request_page(client, page):
    assert reverse("public:visitor-data") in client.get(page).content.decode()


def test_staff_delete_a_support_request_in_the_admin_and_it_is_audited(staff_client):
    _, support = _requests()
    url = reverse("admin:public_supportrequest_delete", args=[support.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not SupportRequest.objects.filter(pk=support.pk).exists()
    event = AuditEvent.objects.get(action="support.deleted")
    assert event.object_id == str(support.uuid) and event.actor == staff_client.staff


def test_staff_bulk_delete_support_requests(staff_client):
    _, first = _requests()
    _, second = _requests(email="b@example.com")
    response = staff_client.post(
        reverse("admin:public_supportrequest_changelist"),
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not SupportRequest.objects.exists()
    assert AuditEvent.objects.filter(action="support.deleted").count() == 2


def test_visitors_requests_are_deleted_after_the_period():
    days = settings.RETENTION_VISITOR_REQUEST_DAYS
    old_appt, old_answered = _requests()
    soon_appt, old_open = _requests(email="b@example.com")
    fresh_appt, fresh_answered = _requests(email="c@example.com")
    long_ago = timezone.now() - timedelta(days=days + 1)
    AppointmentRequest.objects.exclude(pk=fresh_appt.pk).update(created_at=long_ago)
    SupportRequest.objects.exclude(pk=fresh_answered.pk).update(created_at=long_ago)
    SupportRequest.objects.exclude(pk=old_open.pk).update(status=SupportRequest.Status.ANSWERED)
    AppointmentRequest.objects.filter(pk=soon_appt.pk).update(
        status=AppointmentRequest.Status.SCHEDULED,
        scheduled_for=timezone.now() + timedelta(days=2),
    )
    assert retention.retention_run(dry_run=True).results[RULE] == {
        "appointment_requests": 1,
        "support_requests": 1,
    }
    retention.retention_run()
    assert set(AppointmentRequest.objects.values_list("pk", flat=True)) == {
        soon_appt.pk,
        fresh_appt.pk,
    }
    assert set(SupportRequest.objects.values_list("pk", flat=True)) == {
        old_open.pk,
        fresh_answered.pk,
    }
    assert not AppointmentRequest.objects.filter(pk=old_appt.pk).exists()
    assert not SupportRequest.objects.filter(pk=old_answered.pk).exists()


def test_a_members_own_export_holds_the_requests_they_sent(owner_client, owner):
    mine_signed_in = public.support_request_create(
        name="Me", email="typed.other@example.com", subject="Q", body="signed in", user=owner.user
    )
    _requests(email=owner.user.email.upper())
    _requests(email="stranger@example.com", name="Stranger")
    response = owner_client.post(reverse("portal:my-account-export"))
    data = json.loads(response.content)["sections"]["public_requests"]
    bodies = {s["body"] for s in data["support_requests"]}
    assert bodies == {"signed in", "My card ends 4242, why was I charged?"}
    assert str(mine_signed_in.uuid) in {s["uuid"] for s in data["support_requests"]}
    assert [a["email"] for a in data["appointment_requests"]] == [owner.user.email.lower()]
    assert "Stranger" not in response.content.decode()
