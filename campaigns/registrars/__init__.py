"""Registrar back ends: where brands and campaigns are registered.

One interface, two implementations: ``manual`` (our compliance staff decide in the Django
admin; the default) and ``tcr`` (a CSP's 10DLC API over HTTP). Services call
``get_registrar(name)`` and never know which one answers.
"""

from django.conf import settings

from .base import BrandResult, CampaignResult, Registrar, RegistryError, RegistryTimeout
from .manual import ManualRegistrar
from .tcr import TcrRegistrar

__all__ = [
    "BrandResult",
    "CampaignResult",
    "Registrar",
    "RegistryError",
    "RegistryTimeout",
    "get_registrar",
]


def get_registrar(name: str | None = None) -> Registrar:
    name = name or settings.CAMPAIGNS_REGISTRAR
    if name == "manual":
        return ManualRegistrar()
    if name == "tcr":
        return TcrRegistrar.from_settings()
    raise ValueError(f"Unknown registrar {name!r} (CAMPAIGNS_REGISTRAR is 'manual' or 'tcr').")
