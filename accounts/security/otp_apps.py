"""django-otp's device apps under names a person can read in the admin (their own configs
carry no verbose name: the index showed "OTP_TOTP" and "OTP_STATIC"). Same apps, same
labels and migrations; only the names shown change. Listed in INSTALLED_APPS in their place."""

from django_otp.plugins.otp_static.apps import DefaultConfig as StaticDefaultConfig
from django_otp.plugins.otp_totp.apps import DefaultConfig as TotpDefaultConfig


class TotpDevicesConfig(TotpDefaultConfig):
    verbose_name = "Second factor: authenticator apps"


class StaticDevicesConfig(StaticDefaultConfig):
    verbose_name = "Second factor: recovery codes"
