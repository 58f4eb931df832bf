"""The second factor in a real browser (Debian's chromium through Playwright): set up from
the account page with the QR code drawn on the page, then a sign-in that asks for the code.
Any request off the live server (a QR service, a CDN) or a CSP violation fails the test."""

import os
import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.browser import dismiss_cookie_banner, signed_in_page, visitor_page
from tests.factories.accounts import PASSWORD

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_set_up_then_sign_in_with_the_code(chromium, live_server, owner, settings, tmp_path):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    with signed_in_page(chromium, live_server, owner) as page:
        page.goto("/app/account/")
        dismiss_cookie_banner(page)
        page.get_by_role("link", name=re.compile("Second factor")).click()
        page.get_by_role("link", name="Set up a second factor").click()
        qr = page.locator(".qr svg")
        expect(qr).to_be_visible()
        box = qr.bounding_box()
        assert box and box["width"] >= 100 and box["height"] >= 100
        expect(page.locator("#totp-url")).to_contain_text("otpauth://totp/")
        page.screenshot(path=str(tmp_path / "second-factor-setup.png"), full_page=True)
        device = TOTPDevice.objects.get(user=owner.user, confirmed=False)
        page.get_by_label("The 6-digit code the app shows").fill(_code(device))
        page.get_by_role("button", name="Turn on").click()
        expect(page.locator("#recovery-codes li")).to_have_count(10)

    device.refresh_from_db()
    assert device.confirmed
    device.last_t = -1  # the next step's code, not the one just used
    device.save()
    with visitor_page(chromium, live_server) as page:
        page.goto("/accounts/login/")
        dismiss_cookie_banner(page)
        page.get_by_label("Email").fill(owner.user.email.upper())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Your code")).to_be_visible()
        page.get_by_label(re.compile("code from your authenticator app")).fill(_code(device))
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/app/$"))
