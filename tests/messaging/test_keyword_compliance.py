"""Issue 16 paths 8-10, tried as a consumer would: texts arrive through the carrier's signed
inbound webhook, the replies are drained to the real simulated carrier over HTTP, and the
carrier's audit log is what the person got.

8. text-to-join: a campaign's join keyword records consent (method KEYWORD, the inbound text
   as evidence, the campaign's call to action as disclosure) and sends the CTIA confirmation,
   or a double opt-in request when the campaign asks for it (or is age-gated);
9. Spanish opt-out and help keywords (with and without accents), replies in the language of
   the keyword, the contact's language stored and used; the table is data staff extend;
10. the default HELP reply names the business, how to reach it and how to stop.
"""

import json
import time

import pytest
import requests
from django.urls import reverse

from campaigns.models import Campaign
from consent.models import ConsentEvent, ConsentState, Contact
from consent.selectors import consent_check
from messaging import dispatch, keywords
from messaging import services as messaging_services
from messaging.models import KeywordRule, Message
from messaging.providers import _cache, signing
from messaging.providers.simulated import SimulatedCarrier
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
PHONE = "+16465550177"


@pytest.fixture
def provider(carrier, monkeypatch, settings):
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    return carrier


@pytest.fixture
def number(business):
    return sending_number(business=business)


def _text_in(client, number, body, phone=PHONE):
    """The carrier posts an inbound text to our signed webhook."""
    payload = {"id": f"MO{time.monotonic_ns()}", "from": phone, "to": number.e164, "body": body}
    raw = json.dumps(payload).encode()
    ts = f"{time.time():.3f}"
    response = client.post(
        reverse("messaging:webhook-carrier-inbound"),
        data=raw,
        content_type="application/json",
        HTTP_X_CARRIER_TIMESTAMP=ts,
        HTTP_X_CARRIER_SIGNATURE=signing.sign(signing.carrier_secret(), ts, raw),
    )
    assert response.status_code == 204, response.content
    return Message.objects.get(provider_id=payload["id"])


def _received(carrier, number, phone=PHONE) -> list[str]:
    """What reached the person: drain the number to the carrier, read its audit log."""
    dispatch.drain_number(number.pk)
    return [e["body"] for e in carrier.audit() if e["to"] == phone and not e.get("duplicate")]


def _join_campaign(number, **fields) -> Campaign:
    campaign = number.campaign
    defaults = {
        "join_keywords": "JOIN,SMILE",
        "join_frequency": "Up to 4 msgs/month",
        "optin_message": "",  # the default confirmation (the factory's is tested elsewhere)
        # the terms link is sent where the campaign says its texts carry links, on its domain
        "embedded_link": True,
        "embedded_link_sample": f"{number.business.website}/sms-terms",
        "terms_and_conditions_link": f"{number.business.website}/sms-terms",
    }
    for key, value in {**defaults, **fields}.items():
        setattr(campaign, key, value)
    campaign.save()
    return campaign


# --- 8. keyword opt-in ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_join_from_a_new_number_records_keyword_consent_and_confirms(client, number, provider):
    campaign = _join_campaign(number)
    assert not Contact.objects.filter(phone=PHONE).exists()
    inbound = _text_in(client, number, "join!")
    contact = inbound.contact
    event = ConsentEvent.objects.get(contact=contact)
    assert (event.kind, event.method, event.campaign_id) == (
        "OPT_IN_CONFIRMED",
        "KEYWORD",
        campaign.pk,
    )
    assert event.disclosure_text == campaign.message_flow  # the call to action shown
    assert event.evidence.data["inbound_message"] == str(inbound.uuid)
    assert event.evidence.data["text"] == "join!"
    assert inbound.reasons[-1]["code"] == "join"
    assert consent_check(
        business=number.business, contact=contact, kind="marketing", campaign=campaign
    ).allowed
    (confirmation,) = _received(provider, number)
    brand = campaign.brand.display_name
    assert confirmation.startswith(f"{brand}: You are subscribed")
    for required in ("Up to 4 msgs/month", "Msg&data rates may apply", "HELP", "STOP"):
        assert required in confirmation
    assert f"Terms: {number.business.website}/sms-terms" in confirmation
    # texting it again changes nothing and sends nothing more
    again = _text_in(client, number, "JOIN")
    assert again.reasons[-1]["code"] == "join_noop"
    assert ConsentEvent.objects.filter(contact=contact).count() == 1
    assert len(_received(provider, number)) == 1


@pytest.mark.django_db
def test_join_with_double_opt_in_asks_yes_first(client, number, provider):
    campaign = _join_campaign(number, join_double_opt_in=True)
    contact = _text_in(client, number, "Smile").contact
    state = ConsentState.objects.get(contact=contact, campaign=campaign)
    assert state.status == ConsentState.Status.PENDING
    assert not consent_check(
        business=number.business, contact=contact, kind="marketing", campaign=campaign
    ).allowed
    (request,) = _received(provider, number)
    assert "Reply YES to confirm" in request and "Msg&data rates may apply" in request
    _text_in(client, number, "YES")
    state.refresh_from_db()
    assert state.status == ConsentState.Status.OPTED_IN
    kinds = list(
        ConsentEvent.objects.filter(contact=contact).order_by("seq").values_list("method", "kind")
    )
    assert kinds == [("KEYWORD", "OPT_IN"), ("DOUBLE_OPT_IN_REPLY", "OPT_IN_CONFIRMED")]
    request_again, confirmation = _received(provider, number)
    assert request_again == request and "You are subscribed" in confirmation


@pytest.mark.django_db
def test_an_age_gated_campaign_asks_the_age_with_yes(client, number, provider):
    _join_campaign(number, age_gated=True)
    contact = _text_in(client, number, "JOIN").contact
    assert ConsentEvent.objects.get(contact=contact).kind == "OPT_IN"
    (request,) = _received(provider, number)
    assert "21 or older" in request and "Reply YES" in request


@pytest.mark.django_db
def test_join_from_a_number_that_opted_out_needs_their_yes(client, number, provider):
    campaign = _join_campaign(number)
    _text_in(client, number, "STOP")
    contact = Contact.objects.get(phone=PHONE)
    _text_in(client, number, "JOIN")
    # never confirmed directly after an opt-out: the person's YES lifts it
    assert ConsentEvent.objects.filter(contact=contact, method="KEYWORD").last().kind in (
        "OPT_IN",
        "OPT_OUT",
    )
    assert not consent_check(
        business=number.business, contact=contact, kind="marketing", campaign=campaign
    ).allowed
    stop_reply, join_request = _received(provider, number)
    assert "unsubscribed" in stop_reply.lower() or "no more" in stop_reply.lower()
    assert "Reply YES" in join_request


@pytest.mark.django_db
def test_a_join_word_the_campaign_did_not_define_is_only_an_inbox_message(client, number, provider):
    _join_campaign(number, join_keywords="")
    inbound = _text_in(client, number, "JOIN")
    assert inbound.reasons == []
    assert not ConsentEvent.objects.filter(contact=inbound.contact).exists()
    assert _received(provider, number) == []


@pytest.mark.django_db
def test_a_campaign_cannot_make_a_compliance_word_its_join_word(client, number, provider):
    _join_campaign(number, join_keywords="STOP,HELP,AYUDA")
    inbound = _text_in(client, number, "HELP")
    assert inbound.reasons[-1]["code"] == "help"
    assert not ConsentEvent.objects.filter(contact=inbound.contact).exists()


def test_join_words_are_edited_in_the_portal_campaign_form(owner_client, business):
    number = sending_number(business=business)
    campaign = number.campaign
    assert campaign.status == Campaign.Status.APPROVED
    url = reverse("campaigns:campaign-edit", kwargs={"campaign_uuid": campaign.uuid})
    page = owner_client.get(url).content.decode()
    assert 'name="join_keywords"' in page and 'name="join_double_opt_in"' in page
    from campaigns.forms import CampaignForm

    form = CampaignForm(instance=campaign, business=business)
    data = {
        name: value
        for name, value in {
            **{k: form[k].value() for k in form.fields},
            "brand": str(campaign.brand.uuid),
            "join_keywords": "join,smile",
            "join_double_opt_in": "on",
            "join_frequency": "Up to 2 msgs/week",
        }.items()
        if value not in (None, False)
    }
    data = {k: ([str(x) for x in v] if isinstance(v, list) else v) for k, v in data.items()}
    response = owner_client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    campaign.refresh_from_db()
    assert campaign.join_keywords == "JOIN,SMILE" and campaign.join_double_opt_in
    assert campaign.join_frequency == "Up to 2 msgs/week"
    bad = owner_client.post(url, {**data, "join_keywords": "join us"})
    assert bad.status_code == 400 and "letters and digits" in bad.content.decode()


# --- 9. Spanish --------------------------------------------------------------------------------


SPANISH_STOPS = [
    "PARAR", "parar", "Cancelar", "BAJA", "fin", "Detener", "ALTO", "NO MAS", "No más",
    "no más.", "NO MÁS", "No mas mensajes por favor",
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("word", SPANISH_STOPS)
def test_spanish_opt_out_words_stop_and_confirm_in_spanish(client, number, provider, word):
    contact = consenting_contact(business=number.business, number=number, phone=PHONE)
    inbound = _text_in(client, number, word)
    assert inbound.reasons[-1]["code"] == keywords.OPT_OUT
    assert not consent_check(
        business=number.business, contact=contact, kind="marketing", campaign=number.campaign
    ).allowed
    contact.refresh_from_db()
    assert contact.language == "es"
    (confirmation,) = _received(provider, number)
    assert confirmation.endswith("Se ha dado de baja y no recibirá más mensajes.")
    assert number.campaign.brand.display_name in confirmation


@pytest.mark.django_db
@pytest.mark.parametrize("word", ["AYUDA", "ayuda", "Ayúda!"])
def test_ayuda_answers_in_spanish_with_how_to_reach_the_business(client, number, provider, word):
    number.campaign.help_message = "Bright Smile: call us. Reply STOP to opt out."
    number.campaign.save()
    _text_in(client, number, word)
    (reply,) = _received(provider, number)
    brand = number.campaign.brand
    assert reply.startswith(f"{brand.display_name}: Para ayuda, llame al {brand.phone}")
    assert brand.email in reply and "PARAR" in reply
    assert "call us" not in reply  # the campaign's English text is not sent to AYUDA


@pytest.mark.django_db
def test_the_stored_language_answers_words_without_a_language(
    client, owner_client, number, provider
):
    campaign = _join_campaign(number)
    campaign.help_keywords = "HELP,INFO,SOPORTE"
    campaign.save()
    contact = consenting_contact(business=number.business, number=number, phone=PHONE)
    # staff set it on the contact's page
    page = reverse("consent:contact", kwargs={"contact_uuid": contact.uuid})
    assert 'name="language"' in owner_client.get(page).content.decode()
    saved = owner_client.post(
        page, {"name": contact.name, "email": contact.email, "tags": "", "language": "es"}
    )
    assert saved.status_code == 302
    contact.refresh_from_db()
    assert contact.language == "es"
    _text_in(client, number, "soporte")  # the campaign's own word: no language of its own
    (reply,) = _received(provider, number)
    assert "Para ayuda" in reply
    # and an English keyword gets English, and becomes the stored language
    _text_in(client, number, "HELP")
    contact.refresh_from_db()
    assert contact.language == "en"
    assert _received(provider, number)[-1] == campaign.help_message


@pytest.mark.django_db
def test_staff_extend_the_keyword_table(client, number, provider, staff_client):
    contact = consenting_contact(business=number.business, number=number, phone=PHONE)
    assert _text_in(client, number, "Arrêt").reasons == []  # not a keyword yet
    response = staff_client.post(
        reverse("admin:messaging_keywordrule_add"),
        {"word": "ARRET", "action": "opt_out", "language": "en", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    assert KeywordRule.objects.filter(word="ARRET").exists()
    inbound = _text_in(client, number, "Arrêt")
    assert inbound.reasons[-1]["code"] == keywords.OPT_OUT
    assert not consent_check(
        business=number.business, contact=contact, kind="informational", campaign=number.campaign
    ).allowed


@pytest.mark.django_db
def test_the_legal_opt_out_words_stop_even_if_staff_turn_them_off(client, number, provider):
    KeywordRule.objects.update_or_create(
        word="STOP", defaults={"action": "opt_out", "language": "en", "is_active": False}
    )
    messaging_services.keyword_table_reset()
    consenting_contact(business=number.business, number=number, phone=PHONE)
    assert _text_in(client, number, "stop").reasons[-1]["code"] == keywords.OPT_OUT


@pytest.mark.django_db
def test_the_seeded_table_is_the_shipped_one():
    """The data migration's rows (pytest-django migrates the test database)."""
    rows = set(KeywordRule.objects.values_list("word", "action", "language"))
    assert {
        ("PARAR", "opt_out", "es"),
        ("NO MAS", "opt_out", "es"),
        ("AYUDA", "help", "es"),
    } <= rows
    table = keywords.Table((w, a, lang) for w, a, lang in rows)
    assert table.words == keywords.DEFAULT_TABLE.words


# --- 10. HELP ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_default_help_reply_names_the_business_how_to_reach_it_and_how_to_stop(
    client, number, provider
):
    number.campaign.help_message = ""
    number.campaign.save()
    _text_in(client, number, "help")
    (reply,) = _received(provider, number)
    brand = number.campaign.brand
    assert reply.startswith(f"{brand.display_name}:")
    assert brand.phone in reply and brand.email in reply and brand.website in reply
    assert "Reply STOP to opt out" in reply


# --- end to end through the carrier process ---------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_join_through_the_carrier_process(live_server, provider, business):
    number = sending_number(business=business)
    _join_campaign(number)
    provider.control(webhook_base=live_server.url)
    response = requests.post(
        f"{provider.url}/v1/simulate/inbound",
        json={"from": PHONE, "to": number.e164, "body": "Join"},
        timeout=10,
    )
    assert response.status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not ConsentEvent.objects.filter(method="KEYWORD"):
        time.sleep(0.1)
    event = ConsentEvent.objects.get(method="KEYWORD")
    assert event.kind == "OPT_IN_CONFIRMED" and event.contact.phone_e164 == PHONE
    (confirmation,) = _received(provider, number)
    assert "Msg&data rates may apply" in confirmation
