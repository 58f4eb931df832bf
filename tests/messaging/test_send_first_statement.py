"""The send API's first statement reads what the consent and content gates read (issue 18,
finding 9, session 10): the contact's consent states, whether its number is suppressed (by
the suppression hash stored on the contact) and a hold on the business, with the key. The
stored hash is a cache: what was read by it counts only when it is the hash of the phone
read in the same row, so a phone or a hash written behind the send path's back is still
judged by the suppression list itself.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from consent import services as consent_services
from consent.models import Contact
from consent.phones import phone_hash
from consent.services.ledger import chain_head, suppression_add
from policies.models import PolicyHold
from tests.conftest import make_api_client
from tests.factories.campaigns import CampaignFactory
from tests.factories.messaging import consenting_contact, sending_number

BODY = "Your appointment is tomorrow at 3pm. Reply STOP to opt out."


def _payload(contact, number) -> dict:
    """A plain transactional send to ``contact`` from ``number``."""
    return {
        "contact": str(contact.uuid),
        "from_number": str(number.uuid),
        "kind": "transactional",
        "body": BODY,
    }


@pytest.fixture
def sent(owner, business):
    """A plain send's parts, after one send (which stores the contact's phone hash)."""
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    api = make_api_client(owner)
    payload = _payload(contact, number)

    def send():
        response = api.post("/api/v1/messages/", payload, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    assert send()["status"] == "QUEUED"
    return number, contact, send


def _suppress(business, e164: str, campaign=None) -> None:
    with transaction.atomic():
        chain_head(business)  # the suppression list is written under the ledger's lock
        suppression_add(business=business, e164=e164, campaign=campaign, reason="STOP")


def _consent_code(message: dict) -> str:
    return next(r["code"] for r in message["reasons"] if r["gate"] == "consent")


@pytest.mark.django_db(transaction=True)
def test_the_first_send_stores_the_phones_hash(business, sent):
    _number, contact, _send = sent
    contact.refresh_from_db()
    assert contact.phone_hash == phone_hash(business=business, e164=contact.phone_e164)


@pytest.mark.django_db(transaction=True)
def test_a_suppression_is_seen_by_the_first_statement(business, sent):
    _number, contact, send = sent
    _suppress(business, contact.phone_e164)
    with CaptureQueriesContext(connection) as seen:
        message = send()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "suppressed"
    # asked in the key's statement, not apart
    asked = [q["sql"] for q in seen.captured_queries if "consent_suppression" in q["sql"]]
    assert len(asked) == 1 and "api" in asked[0] and "consent_contact" in asked[0]


@pytest.mark.django_db(transaction=True)
def test_a_suppression_for_the_numbers_campaign_only_counts_for_it(business, sent):
    number, contact, send = sent
    _suppress(business, contact.phone_e164, campaign=CampaignFactory(business=business))
    assert send()["status"] == "QUEUED"
    _suppress(business, contact.phone_e164, campaign=number.campaign)
    message = send()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "suppressed"


@pytest.mark.django_db(transaction=True)
def test_a_stored_hash_that_is_not_the_phones_is_not_trusted(business, sent):
    _number, contact, send = sent
    _suppress(business, contact.phone_e164)
    # written behind the services' back: the hash of another number (not suppressed)
    other = phone_hash(business=business, e164="+16465550999")
    Contact.objects.filter(pk=contact.pk).update(phone_hash=other)
    message = send()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "suppressed"
    contact.refresh_from_db()  # and put right for the next send
    assert contact.phone_hash == phone_hash(business=business, e164=contact.phone_e164)


@pytest.mark.django_db(transaction=True)
def test_a_phone_changed_behind_the_hash_is_judged_by_its_own(business, sent):
    _number, contact, send = sent
    _suppress(business, "+16465550998")
    Contact.objects.filter(pk=contact.pk).update(phone="+16465550998")  # the hash stays old
    message = send()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "suppressed"
    contact.refresh_from_db()
    assert contact.phone_hash == phone_hash(business=business, e164="+16465550998")


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_is_seen_by_the_first_statement(business, sent):
    _number, contact, send = sent
    consent_services.consent_record_opt_out(
        business=business, contact=contact, method="keyword", scope_all=True
    )
    message = send()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "opted_out"


@pytest.mark.django_db(transaction=True)
def test_a_hold_on_the_business_is_seen_by_the_first_statement(business, sent):
    _number, _contact, send = sent
    PolicyHold.objects.create(business=business, reason="three strikes")
    message = send()
    assert message["status"] == "HELD"
    codes = [r["category"] for g in message["reasons"] for r in g["detail"].get("reasons", [])]
    assert "account_hold" in codes


@pytest.mark.django_db(transaction=True)
def test_erasure_blanks_the_stored_hash(business, sent):
    _number, contact, _send = sent
    contact.refresh_from_db()
    assert contact.phone_hash
    consent_services.contact_erase(business=business, contact=contact)
    contact.refresh_from_db()
    assert contact.phone_hash == "" and contact.phone is None


@pytest.mark.django_db(transaction=True)
def test_a_contact_made_by_the_services_has_its_hash_from_the_start(owner, business, sent):
    """Contacts made through consent's services (the API, the portal, an inbound text, the
    form) are written with the hash: their first send asks the suppression list in the key's
    statement too, with no read of its own."""
    number, _contact, _send = sent  # the key's first-use write is behind us
    contact, created = consent_services.contact_get_or_create(
        business=business, phone="(646) 555-0777"
    )
    assert created and contact.phone_e164 == "+16465550777"
    contact.refresh_from_db()
    assert contact.phone_hash == phone_hash(business=business, e164="+16465550777")
    _suppress(business, "+16465550777")
    with CaptureQueriesContext(connection) as seen:
        response = make_api_client(owner).post(
            "/api/v1/messages/", _payload(contact, number), format="json"
        )
    message = response.json()
    assert message["status"] == "BLOCKED" and _consent_code(message) == "suppressed"
    asked = [q["sql"] for q in seen.captured_queries if "consent_suppression" in q["sql"]]
    assert len(asked) == 1 and "consent_contact" in asked[0]
