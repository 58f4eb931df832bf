"""Give a staff member a TOTP device for the admin's second factor and print its URL.

``--code`` prints the current code of the member's device instead, on a development
machine only (DEBUG): the demo staff login of ``make run`` without an authenticator app.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User


class Command(BaseCommand):
    help = "Create a TOTP device for a staff user and print the otpauth:// URL to scan."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="authenticator")
        parser.add_argument(
            "--code",
            action="store_true",
            help="Print the current code of the user's device (development only).",
        )

    def handle(self, *args, email, name, code, **options):
        user = User.objects.filter(email__iexact=email, is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff user with email {email}.")
        if code:
            if not settings.DEBUG:
                raise CommandError("--code is for development machines only (DEBUG on).")
            device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()
            if device is None:
                raise CommandError(f"{email} has no authenticator device.")
            value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
            self.stdout.write(f"{value:0{device.digits}d}")
            return
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        self.stdout.write(f"Add this to an authenticator app:\n{device.config_url}")
