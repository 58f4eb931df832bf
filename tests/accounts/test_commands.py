"""seed_demo (what `make run` calls): idempotent, and the logins and key it prints work."""

import base64
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.management.commands.seed_demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    STAFF_EMAIL,
    STAFF_PASSWORD,
)
from accounts.models import ApiKey, Business, Membership, User
from campaigns.models import Campaign
from consent.models import Contact

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_its_login_opens_the_portal(client):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    assert f"{DEMO_EMAIL} / {DEMO_PASSWORD}" in out.getvalue()
    user = User.objects.get(email=DEMO_EMAIL)
    business = Business.objects.get(legal_name="Bright Smile Dental LLC")
    assert Membership.objects.filter(business=business, user=user, role="owner").count() == 1
    # the apps' own demo data came along once, not twice
    assert Campaign.objects.filter(business=business).exists()
    contacts = Contact.objects.filter(business=business).count()
    assert contacts > 0
    call_command("seed_demo", stdout=io.StringIO())
    assert Contact.objects.filter(business=business).count() == contacts
    # the login the command prints is the one that works
    response = client.post(reverse("login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("portal:dashboard"), follow=True)
    assert page.status_code == 200 and "Bright Smile Dental" in page.content.decode()


def _printed_key(out: str) -> str:
    return re.search(r"Demo API key \(admin role\): (cyc_\S+)", out).group(1)


def test_seed_demo_prints_one_api_key_that_sends(settings, tmp_path):
    settings.DEMO_API_KEY_FILE = str(tmp_path / "demo-api-key")
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)
    key = _printed_key(first.getvalue())
    assert _printed_key(second.getvalue()) == key  # idempotent: the same key, not a new one
    assert oct((tmp_path / "demo-api-key").stat().st_mode & 0o777) == "0o600"
    business = Business.objects.get(legal_name="Bright Smile Dental LLC")
    assert ApiKey.objects.filter(business=business, revoked_at__isnull=True).count() == 1
    # the curl it prints names this key; the key is accepted by the API
    assert f"Authorization: Bearer {key}" in first.getvalue()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/messages/").status_code == 200
    # a revoked key is replaced, never printed again
    ApiKey.objects.filter(business=business).update(revoked_at=timezone.now())
    third = io.StringIO()
    call_command("seed_demo", stdout=third)
    assert _printed_key(third.getvalue()) != key
    assert ApiKey.objects.filter(business=business, revoked_at__isnull=True).count() == 1


def test_seed_demo_owner_has_accepted_the_policies_in_force(client, settings, tmp_path):
    settings.DEMO_API_KEY_FILE = str(tmp_path / "demo-api-key")
    call_command("seed_demo", stdout=io.StringIO())
    client.post(reverse("login"), {"username": DEMO_EMAIL, "password": DEMO_PASSWORD})
    page = client.get(reverse("portal:dashboard"), follow=True).content.decode()
    assert "Review and accept" not in page


def test_seed_demo_staff_login_opens_the_admin_with_the_printed_code(client, settings, tmp_path):
    settings.DEMO_API_KEY_FILE = str(tmp_path / "demo-api-key")
    settings.DEBUG = True  # `staff_totp --code` is for development machines only
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    assert f"{STAFF_EMAIL} / {STAFF_PASSWORD}" in out.getvalue()
    staff = User.objects.get(email=STAFF_EMAIL)
    assert staff.is_staff and TOTPDevice.objects.filter(user=staff).count() == 1
    secret = re.search(r"authenticator secret ([A-Z2-7]+)", out.getvalue()).group(1)
    device = TOTPDevice.objects.get(user=staff)
    assert base64.b32decode(secret) == device.bin_key
    code_out = io.StringIO()
    call_command("staff_totp", STAFF_EMAIL, "--code", stdout=code_out)
    code = code_out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    answer = client.post(
        reverse("admin:login"),
        {"username": STAFF_EMAIL, "password": STAFF_PASSWORD, "otp_token": code},
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_totp_code_is_refused_outside_development(settings):
    settings.DEBUG = False
    call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match="development"):
        call_command("staff_totp", STAFF_EMAIL, "--code", stdout=io.StringIO())
