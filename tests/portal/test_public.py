"""The public site: landing, policy pages, glossary, book a call, support and its admin."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.public.models import AppointmentRequest, SupportRequest
from accounts.public.services import FORM_LIMIT
from tests.factories.accounts import LONG_EMAIL

pytestmark = pytest.mark.django_db

BOOK = {
    "topic": "ONBOARDING",
    "name": "Rosa Diaz",
    "email": "Rosa@Salon.example",
    "phone": "(415) 555-0123",
    "preferred_times": "Tue or Wed 10am-noon",
    "time_zone": "America/Los_Angeles",
    "note": "",
}
SUPPORT = {
    "name": "Rosa Diaz",
    "email": "rosa@salon.example",
    "subject": "Campaign rejected",
    "body": "My campaign was rejected, what do I change?",
}


def test_landing_says_what_the_product_does(client):
    html = client.get(reverse("home")).content.decode()
    assert "Text your clients, inside the rules." in html
    assert reverse("public:book") in html
    assert reverse("signup") in html
    assert 'data-term="tcr"' in html


@pytest.mark.parametrize("page", ["terms", "privacy", "sms", "acceptable-use"])
def test_policy_pages(client, page):
    response = client.get(reverse("public:legal-page", args=[page]))
    assert response.status_code == 200
    assert reverse("cookie-settings").encode() in response.content


def test_unknown_policy_page_is_404(client):
    assert client.get("/legal/plain/nope/").status_code == 404


def test_glossary_lists_every_term(client):
    from accounts.portal.help_terms import TERMS

    html = client.get(reverse("public:glossary")).content.decode()
    for term in TERMS.values():
        assert f'id="{term.slug}"' in html


def test_book_a_call_stores_acknowledges_and_audits(client):
    response = client.post(reverse("public:book"), BOOK)
    assert response.status_code == 302
    appt = AppointmentRequest.objects.get()
    assert (appt.email, appt.phone, appt.topic) == (
        "rosa@salon.example",
        "+14155550123",
        "ONBOARDING",
    )
    assert appt.acknowledged_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rosa@salon.example"]
    assert "Tue or Wed 10am-noon" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="appointment.requested").count() == 1
    thanks = client.get(response["Location"]).content.decode()
    assert "rosa@salon.example" in thanks and "+14155550123" in thanks


def test_book_a_call_errors_are_next_to_the_field(client):
    response = client.post(reverse("public:book"), {**BOOK, "phone": "12", "email": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_phone_error"' in html and "valid phone number" in html
    assert 'id="id_email_error"' in html
    assert not AppointmentRequest.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(("field", "value"), [("phone", "call me"), ("topic", "PIZZA")])
def test_book_a_call_refuses_a_non_number_and_an_unknown_topic(client, field, value):
    response = client.post(reverse("public:book"), {**BOOK, field: value})
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not AppointmentRequest.objects.exists()
    assert mail.outbox == []


def test_forms_are_throttled_per_ip_with_a_visible_message(client):
    for _ in range(FORM_LIMIT):
        assert client.post(reverse("public:support"), SUPPORT).status_code == 302
    response = client.post(reverse("public:support"), SUPPORT)
    assert response.status_code == 400
    assert b"several requests in the last hour" in response.content
    assert SupportRequest.objects.count() == FORM_LIMIT


def test_book_a_call_is_throttled_with_a_message_above_the_form(client):
    for _ in range(FORM_LIMIT):
        assert client.post(reverse("public:book"), BOOK).status_code == 302
    mail.outbox.clear()
    response = client.post(reverse("public:book"), BOOK)
    assert response.status_code == 400
    html = response.content.decode()
    assert "several requests in the last hour" in html
    assert 'value="Rosa@Salon.example"' in html  # what they typed is kept
    assert AppointmentRequest.objects.count() == FORM_LIMIT
    assert mail.outbox == []


def test_support_errors_are_next_to_the_field(client):
    response = client.post(reverse("public:support"), {**SUPPORT, "subject": "", "email": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_subject_error"' in html and 'id="id_email_error"' in html
    assert "My campaign was rejected, what do I change?" in html  # the body is kept
    assert not SupportRequest.objects.exists()
    assert mail.outbox == []


# Valid by Django's EmailValidator (up to 320 characters) but longer than the column (254).


@pytest.mark.parametrize(
    ("url", "data", "model"),
    [("public:book", BOOK, AppointmentRequest), ("public:support", SUPPORT, SupportRequest)],
)
def test_an_overlong_email_is_refused_next_to_the_field(client, url, data, model):
    response = client.post(reverse(url), {**data, "email": LONG_EMAIL})
    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()
    assert not model.objects.exists()
    assert mail.outbox == []


def test_legal_index_links_the_versioned_documents(client):
    html = client.get(reverse("public:legal")).content.decode()
    for name in ("governance:legal-terms", "governance:legal-privacy", "governance:legal-sms"):
        assert f'href="{reverse(name)}"' in html


def test_support_from_a_member_is_linked_to_the_business(owner_client, owner):
    form = owner_client.get(reverse("public:support")).content.decode()
    assert owner.user.email in form  # prefilled
    response = owner_client.post(reverse("public:support"), {**SUPPORT, "email": owner.user.email})
    assert response.status_code == 302
    req = SupportRequest.objects.get()
    assert req.user == owner.user and req.business == owner.business
    assert mail.outbox[0].to == [owner.user.email]
    page = owner_client.get(response["Location"]).content.decode()
    assert "We received your question" in page


def test_staff_answer_in_admin_emails_the_requester(client, staff_client):
    client.post(reverse("public:support"), SUPPORT)
    req = SupportRequest.objects.get()
    mail.outbox.clear()
    listing = staff_client.get(reverse("admin:public_supportrequest_changelist"))
    assert b"Campaign rejected" in listing.content
    url = reverse("admin:public_supportrequest_change", args=[req.pk])
    response = staff_client.post(
        url, {"answer": "Add STOP language to sample 2 and resubmit.", "status": "OPEN"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "ANSWERED" and req.answered_by == staff_client.staff
    assert req.notified_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["rosa@salon.example"]
    assert "Add STOP language" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="support.answered", object_id=str(req.uuid)).exists()


def test_staff_list_and_schedule_appointments(client, staff_client):
    client.post(reverse("public:book"), BOOK)
    appt = AppointmentRequest.objects.get()
    listing = staff_client.get(reverse("admin:public_appointmentrequest_changelist"))
    assert b"Rosa Diaz" in listing.content and b"+14155550123" in listing.content
    url = reverse("admin:public_appointmentrequest_change", args=[appt.pk])
    response = staff_client.post(
        url,
        {
            "status": "SCHEDULED",
            "scheduled_for_0": "2030-01-08",
            "scheduled_for_1": "10:30:00",
            "staff_note": "Call booked",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    appt.refresh_from_db()
    assert appt.status == "SCHEDULED" and appt.scheduled_for is not None
    assert appt.staff_note == "Call booked"
    assert AuditEvent.objects.filter(action="appointment.status").exists()


def test_admin_refuses_members(owner_client):
    response = owner_client.get(reverse("admin:public_supportrequest_changelist"))
    assert response.status_code == 302  # to the admin login


def _admin_message(response) -> str:
    from django.contrib.messages import get_messages

    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def test_staff_note_alone_and_bulk_actions_on_appointments(client, staff_client):
    client.post(reverse("public:book"), BOOK)
    client.post(reverse("public:book"), {**BOOK, "name": "Ana Ruiz"})
    first, second = AppointmentRequest.objects.order_by("id")
    url = reverse("admin:public_appointmentrequest_change", args=[first.pk])
    response = staff_client.post(
        url, {"status": "NEW", "scheduled_for_0": "", "scheduled_for_1": "", "staff_note": "VM"}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.staff_note == "VM" and first.status == "NEW"
    assert not AuditEvent.objects.filter(action="appointment.status").exists()

    changelist = reverse("admin:public_appointmentrequest_changelist")
    for action, status in (("mark_done", "DONE"), ("mark_canceled", "CANCELED")):
        response = staff_client.post(
            changelist, {"action": action, "_selected_action": [first.pk, second.pk]}
        )
        assert "2 request(s) marked" in _admin_message(response)
        assert set(AppointmentRequest.objects.values_list("status", flat=True)) == {status}
    assert AuditEvent.objects.filter(action="appointment.status").count() == 4


def test_support_status_alone_and_an_answer_whose_email_fails(client, staff_client, settings):
    client.post(reverse("public:support"), SUPPORT)
    req = SupportRequest.objects.get()
    url = reverse("admin:public_supportrequest_change", args=[req.pk])
    response = staff_client.post(url, {"answer": "", "status": "CLOSED"})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == "CLOSED" and req.answered_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    response = staff_client.post(url, {"answer": "Resubmit with STOP.", "status": "CLOSED"})
    assert "the email to rosa@salon.example failed: send it by hand" in _admin_message(response)
    req.refresh_from_db()
    assert req.answer == "Resubmit with STOP." and req.notified_at is None  # the answer is kept
