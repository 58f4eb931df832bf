"""The client's IP address: the one answer every caller uses (consent evidence, the audit
trail, every rate limit, django-axes through AXES_CLIENT_IP_CALLABLE).

The peer (``REMOTE_ADDR``) is the client unless it is one of ``TRUSTED_PROXIES`` (IP
addresses or CIDR networks). Only then is ``X-Forwarded-For`` read, from the right: each
hop a trusted proxy added is skipped, and the first address not in the list is the
client. Whatever a client writes into the header itself stays to the left of that and is
never believed, and a header sent straight to us by an untrusted peer is ignored whole.
docs/deploy.md says how to set the list.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(f"TRUSTED_PROXIES: {entry!r} is not an IP or CIDR") from exc
    return tuple(networks)


def _address(text: str | None) -> Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve(
    remote_addr: str | None, forwarded_for: str | None, trusted: tuple[str, ...]
) -> str | None:
    """The client's address from the peer, its X-Forwarded-For and the trusted proxies."""
    peer = _address(remote_addr)
    if peer is None:
        return None
    networks = _networks(trusted)

    def is_trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    if not is_trusted(peer) or not forwarded_for:
        return str(peer)
    client = peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:  # garbage left of our proxies: the last proxy is all we know
            break
        client = address
        if not is_trusted(address):
            break
    return str(client)


def client_ip(request) -> str | None:
    """The IP address of the client that sent ``request`` (None when there is none)."""
    if hasattr(request, "_client_ip"):
        return request._client_ip
    meta = request.META
    ip = resolve(
        meta.get("REMOTE_ADDR"),
        meta.get("HTTP_X_FORWARDED_FOR"),
        tuple(getattr(settings, "TRUSTED_PROXIES", ())),
    )
    request._client_ip = ip
    return ip
