"""Connecting to a URL a tenant gave us without reaching our own network (SSRF).

The host is resolved once, here; every address it has must be public (not private,
loopback, link-local — cloud metadata at 169.254.169.254 —, multicast, reserved or
unspecified, IPv4-mapped forms included) unless ``allow_private`` (development and tests,
whose servers listen on loopback); and the connection goes to the address that was
checked, with the host name for TLS (certificate checked) and ``Host``. A second lookup by
the HTTP client would let DNS answer differently (rebinding: public for the check, then
127.0.0.1 for the connection).

Pure of the ORM and of Django. The one resolver for every outbound fetch: the tenants'
webhooks (``events.retrying``), media from a URL (``messaging.media.fetch``) and calendar
feeds (``messaging.reminders.feeds``) connect through ``pinned_pool``; each turns
``AddressRefused`` into its own error, keeping the sentence.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import certifi
import urllib3


class AddressRefused(ValueError):
    """The URL may not be connected to; the message says why."""


def public_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def private_address_message(host: str) -> str:
    """What a business reads when its URL leads into a private network (one wording for the
    webhooks, media and calendar feeds). The address itself is not named: it would tell
    what our internal names resolve to."""
    return (
        f"{host} points at a private or reserved network address; "
        "only public internet addresses can be reached."
    )


def resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to for ``host``: the first it resolves to, once every
    address it resolves to has been checked."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"The host {host} could not be resolved: it has no address.") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise AddressRefused(f"The host {host} has no address.")
    if not allow_private and not all(public_address(a) for a in addresses):
        raise AddressRefused(private_address_message(host))
    return addresses[0]


def pinned_pool(
    url: str, *, allow_private: bool, timeout: float, ca_certs: str = ""
) -> tuple[urllib3.HTTPConnectionPool, str, str]:
    """A one-connection pool to the checked address of ``url``'s host, the path to ask
    for and the ``Host`` header to send; raises ``AddressRefused``. ``ca_certs``: a CA
    bundle to trust instead of certifi's (the tests' TLS servers)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("Only http and https URLs can be reached.")
    if parts.username or parts.password or "@" in parts.netloc:
        raise AddressRefused("Leave the user name or password out of the URL.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise AddressRefused("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused("The URL's port is not valid.") from exc
    address = resolve(host, port, allow_private=allow_private)
    limits = urllib3.Timeout(connect=timeout, read=timeout)
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port=port, server_hostname=host, assert_hostname=host,
            cert_reqs="CERT_REQUIRED", ca_certs=ca_certs or certifi.where(), timeout=limits,
            retries=False, maxsize=1,
        )  # fmt: skip
    else:
        pool = urllib3.HTTPConnectionPool(
            address, port=port, timeout=limits, retries=False, maxsize=1
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if parts.port is None else f"{host}:{port}"
    return pool, path, host_header
