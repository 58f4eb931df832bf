"""What the portal says about messages reads cleanly: one word per state, reasons joined as
sentences ("example.; next", "opted out.." and "Consent : …" were on screen once)."""

import re

import pytest
from django.contrib.messages import get_messages

from messaging.models import Message
from tests.factories.consent import ContactFactory
from tests.factories.messaging import MessageFactory

pytestmark = pytest.mark.django_db

BODY = "Bright Smile: 20% off this week. Reply STOP to opt out."

BAD_JOINS = re.compile(r"\.\.(?!\.)|\.;|\s:|\(\s*\)")


def _send(client, to, **data):
    payload = {"to": to, "body": BODY, "kind": "marketing", "when": "now"}
    payload.update(data, zone_basis="recipient")
    return client.post("/app/compose/", payload)


def test_a_skipped_send_says_why_in_one_clean_sentence(owner_client, business, number):
    stranger = ContactFactory(business=business)
    response = _send(owner_client, stranger.phone_e164, action="send")
    [flash] = [str(m) for m in get_messages(response.wsgi_request)]
    assert flash.startswith("Not sent: ") and flash.endswith(".")
    assert not BAD_JOINS.search(flash), flash


def test_the_message_page_shows_one_word_for_the_state(owner_client, business, number):
    stranger = ContactFactory(business=business)
    response = _send(owner_client, stranger.phone_e164, action="send")
    html = owner_client.get(response["Location"]).content.decode()
    assert Message.objects.get().status == Message.Status.BLOCKED
    assert '<span class="badge bad">Skipped</span>' in html
    assert "Blocked" not in html and "skipped (" not in html


@pytest.mark.parametrize(
    ("status", "label"),
    [(Message.Status.QUEUED, "Waiting"), (Message.Status.DELIVERED, "Delivered")],
)
def test_the_log_and_its_filter_use_the_same_words(owner_client, business, status, label):
    MessageFactory(business=business, status=status)
    html = owner_client.get("/app/messages/").content.decode()
    assert f">{label}</span>" in html  # the badge
    assert f">{label}</option>" in html  # the filter
    assert ">Queued<" not in html and ">Blocked<" not in html
    # filtering by that word finds the message
    filtered = owner_client.get("/app/messages/", {"status": status}).content.decode()
    assert f">{label}</span>" in filtered


def test_the_pre_check_puts_the_colon_right_after_the_gate(owner_client, business, number):
    stranger = ContactFactory(business=business)
    html = _send(owner_client, stranger.phone_e164, action="check").content.decode()
    assert '<strong>Consent</strong><span class="visually-hidden"> (fails)</span>: ' in html
    assert "</strong> <span" not in html and "</span>: ." not in html


def test_the_thread_says_why_a_text_was_not_sent(owner_client, business, number):
    contact = ContactFactory(business=business)
    MessageFactory(
        business=business,
        contact=contact,
        status=Message.Status.BLOCKED,
        reasons=[
            {"gate": "consent", "code": "opted_out", "message": "The contact opted out."},
            {"gate": "policy", "code": "link", "message": "Use a link on brightsmile.example."},
        ],
    )
    html = owner_client.get(f"/app/inbox/{contact.uuid}/").content.decode()
    assert (
        '<p class="help">Not sent. The contact opted out. Use a link on brightsmile.example.</p>'
        in html
    )
    assert ">Skipped</a>" in html
