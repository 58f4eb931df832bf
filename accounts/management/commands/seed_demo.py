"""Seed a demo business with an owner login (idempotent) and print the login.

Apps above accounts add their own demo data through an optional ``<app>.demo.seed``
function, called in INSTALLED_APPS order with the business and the owner membership.
"""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Business, Membership, User
from accounts.roles import Role

DEMO_EMAIL = "owner@demo.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed on purpose: a local demo login


class Command(BaseCommand):
    help = "Create the demo business and its owner (idempotent) and print the login."

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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo business '{business.display_name}': log in as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )
