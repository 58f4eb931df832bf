"""Providers: the simulated carrier and Twilio behind one small interface (base.py)."""

from django.conf import settings

from .base import Outbound, Provider, SendResult

_cache: dict[str, Provider] = {}


def get_provider(name: str | None = None) -> Provider:
    """The configured provider; one instance per process (it keeps its HTTP session)."""
    name = name or settings.MESSAGING_PROVIDER
    if name not in _cache:
        if name == "twilio":
            from .twilio import TwilioProvider

            _cache[name] = TwilioProvider()
        elif name == "simulated":
            from .simulated import SimulatedCarrier

            _cache[name] = SimulatedCarrier()
        else:
            raise ValueError(f"unknown MESSAGING_PROVIDER {name!r}")
    return _cache[name]


__all__ = ["Outbound", "Provider", "SendResult", "get_provider"]
