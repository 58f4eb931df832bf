"""Seed a demo business with an owner login, a demo API key and a demo compliance staff
login (all idempotent) and print how to use them.

Apps above accounts add their own demo data through an optional ``<app>.demo.seed``
function, called in INSTALLED_APPS order with the business and the owner membership.

The API key's secret is stored only as a hash (accounts/README.md), so the seed keeps the
demo key's secret in ``var/demo-api-key`` (mode 600, never committed) to print it again on
the next run; a missing file or a revoked key gives a new key. The staff login's TOTP
secret is printed for an authenticator app; ``manage.py staff_totp --code <email>`` prints
the current code on a development machine.
"""

import base64
import importlib
import os
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import ApiKey, Business, Membership, User
from accounts.roles import Role

DEMO_EMAIL = "owner@demo.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed on purpose: a local demo login
STAFF_EMAIL = "staff@demo.local"
STAFF_PASSWORD = "staff-password-123"  # noqa: S105 - printed on purpose: a local demo login
API_KEY_NAME = "Demo key"


def api_key_file() -> Path:
    return Path(settings.DEMO_API_KEY_FILE)


def demo_api_key(*, business: Business, owner: Membership) -> str:
    """The demo key's secret: the one on file while its key is live, else a new key."""
    path = api_key_file()
    if path.exists():
        secret = path.read_text().strip()
        live = ApiKey.objects.filter(
            business=business, name=API_KEY_NAME, revoked_at__isnull=True
        ).values_list("prefix", flat=True)
        if any(secret.startswith(f"{services.API_KEY_PREFIX}{prefix}_") for prefix in live):
            return secret
    _, secret = services.api_key_create(
        business=business, name=API_KEY_NAME, role=Role.ADMIN.value, by=owner
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


def demo_staff() -> tuple[User, str]:
    """The demo compliance staff member and their TOTP secret (base32, for an app)."""
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        staff = User.objects.create_user(
            email=STAFF_EMAIL, password=STAFF_PASSWORD, full_name="Sam Staff"
        )
        staff.is_staff = True
        staff.is_superuser = True
        staff.save(update_fields=["is_staff", "is_superuser"])
    device = TOTPDevice.objects.filter(user=staff, confirmed=True).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name="demo authenticator", confirmed=True)
    return staff, base64.b32encode(device.bin_key).decode()


class Command(BaseCommand):
    help = "Create the demo business, its owner, an API key and a staff login (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name="Dana Demo"
            )
        business, _ = Business.objects.get_or_create(
            legal_name="Bright Smile Dental LLC",
            defaults={
                "display_name": "Bright Smile Dental",
                "website": "https://brightsmile.example",
                "brand_domains": ["brightsmile.example"],
                "industry_description": "Family dental clinic: check-ups, cleanings, whitening.",
                "vetting_status": Business.Vetting.APPROVED,
            },
        )
        membership, _ = Membership.objects.get_or_create(
            business=business, user=user, defaults={"role": Role.OWNER.value}
        )
        for config in apps.get_app_configs():
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            seed = getattr(module, "seed", None)
            if seed is not None:
                seed(business=business, owner=membership)
        secret = demo_api_key(business=business, owner=membership)
        staff, totp_secret = demo_staff()
        site = settings.SITE_URL
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo business '{business.display_name}': log in at {site}/accounts/login/ "
                f"as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )
        self.stdout.write(
            f"Demo API key (admin role): {secret}\n"
            f"  curl -s {site}/api/v1/messages/ -H 'Authorization: Bearer {secret}' \\\n"
            "    -H 'Content-Type: application/json' \\\n"
            '    -d \'{"to": "+13125550101", "kind": "transactional", "body": '
            '"Bright Smile Dental: your appointment is confirmed for Tue at 3pm. '
            "Reply STOP to opt out.\"}'\n"
            f"Compliance staff: {site}/admin/ as {staff.email} / {STAFF_PASSWORD}, "
            f"authenticator secret {totp_secret}\n"
            f"  (current code: python manage.py staff_totp --code {staff.email})"
        )
