"""The API keys page manages the Twilio-style credentials: a key SID + secret shown once,
the auth token created and rotated (shown once), the inbound URL checked like webhooks."""

import pytest
from django.urls import reverse

from accounts.models import ApiKey, AuditEvent, TwilioAccount
from accounts.services import twilio_authenticate

pytestmark = pytest.mark.django_db(transaction=True)  # after live-server tests in the same run


def test_twilio_key_pair_is_shown_once_and_works(owner_client, business):
    url = reverse("portal:api-keys")
    response = owner_client.post(url, {"name": "Booking system", "role": "agent", "twilio": "on"})
    assert response.status_code == 302
    page = owner_client.get(url).content.decode()
    key = ApiKey.objects.get(business=business, name="Booking system")
    assert key.sid.startswith("SK") and key.sid in page
    secret = page.split('id="new-key" class="secret">')[1].split("<")[0]
    assert twilio_authenticate(username=key.sid, password=secret) == (business, "agent", key.prefix)
    assert secret not in owner_client.get(url).content.decode()  # shown once
    assert f"AC{business.uuid.hex}" in page


def test_auth_token_is_created_rotated_and_shown_once(owner_client, business):
    page = owner_client.get(reverse("portal:api-keys")).content.decode()
    assert "Create auth token" in page
    owner_client.post(reverse("portal:twilio-token"))
    page = owner_client.get(reverse("portal:api-keys")).content.decode()
    first = page.split('id="new-auth-token" class="secret">')[1].split("<")[0]
    account = TwilioAccount.objects.get(business=business)
    assert account.auth_token == first and "Rotate auth token" in page
    assert first not in owner_client.get(reverse("portal:api-keys")).content.decode()
    owner_client.post(reverse("portal:twilio-token"))
    account.refresh_from_db()
    assert account.auth_token != first
    assert twilio_authenticate(username=account.account_sid, password=first) is None
    assert AuditEvent.objects.filter(action="twilio_account.rotate_token").count() == 1


def test_inbound_url_is_checked_next_to_the_field(owner_client, business, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    url = reverse("portal:twilio-inbound")
    response = owner_client.post(url, {"inbound_url": "https://crm.example.com/sms"})
    assert response.status_code == 302  # no account yet: told to create a token first
    assert not TwilioAccount.objects.exists()
    owner_client.post(reverse("portal:twilio-token"))
    response = owner_client.post(url, {"inbound_url": "http://crm.example.com/sms"})
    assert response.status_code == 400
    assert 'id="id_inbound_url_error"' in response.content.decode()
    response = owner_client.post(url, {"inbound_url": "https://10.0.0.8/sms"})
    assert response.status_code == 400
    assert "private or reserved network" in response.content.decode()
    response = owner_client.post(url, {"inbound_url": "https://93.184.215.14/sms"})
    assert response.status_code == 302
    assert TwilioAccount.objects.get().inbound_url == "https://93.184.215.14/sms"
    owner_client.post(url, {"inbound_url": ""})
    assert TwilioAccount.objects.get().inbound_url == ""
