"""Give a staff member a TOTP device for the admin's second factor and print its URL."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print the otpauth:// URL to scan."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user with email {email}.")
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(f"Add this to an authenticator app:\n{device.config_url}")
