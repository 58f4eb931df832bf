"""seed_demo (what `make run` calls): idempotent, and its printed login works."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from accounts.models import Business, Membership, User
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
