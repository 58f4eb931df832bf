"""The API keys page in a real browser (Debian's chromium through Playwright): an owner makes
a Twilio-compatible key pair and an auth token, each shown once, then the official twilio
client sends with them against the same live server."""

import os
import re

import pytest
from playwright.sync_api import expect

from accounts.models import ApiKey, TwilioAccount
from tests.browser import dismiss_cookie_banner
from tests.twilio_api.conftest import twilio_client

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BODY = "Bright Smile: your cleaning is confirmed for Tue 3pm. Reply STOP to opt out."


def test_owner_makes_twilio_credentials_and_a_script_sends_with_them(
    owner_page, live_server, business, number, contact, tmp_path
):
    page = owner_page
    page.goto("/app/api-keys/")
    dismiss_cookie_banner(page)
    account_sid = f"AC{business.uuid.hex}"
    expect(page.locator("#twilio-account-sid")).to_have_text(account_sid)

    page.get_by_role("button", name="Create auth token").click()
    token = page.locator("#new-auth-token").inner_text()
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert TwilioAccount.objects.get(business=business).auth_token == token

    page.get_by_label("Name").fill("Booking system")
    page.get_by_label("Role").select_option("agent")
    page.get_by_label("Twilio-compatible (SID + secret)").check()
    page.get_by_role("button", name="Create key").click()
    sid = page.locator("#new-key-sid").inner_text()
    secret = page.locator("#new-key").inner_text()
    assert ApiKey.objects.get(business=business, name="Booking system").sid == sid
    page.screenshot(path=str(tmp_path / "api-keys-twilio.png"), full_page=True)
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # shown once
    expect(page.get_by_role("cell", name=re.compile(sid))).to_be_visible()

    # the credentials work with the official client: the key sends, the token lists
    sent = twilio_client(live_server.url, sid, secret, account_sid).messages.create(
        to=contact.phone_e164, from_=number.e164, body=BODY
    )
    assert sent.status == "queued"
    listed = twilio_client(live_server.url, account_sid, token, account_sid).messages.list()
    assert [m.sid for m in listed] == [sent.sid]
