"""Fetching a file from a URL someone gave us, safely (SSRF): the API's ``media_url`` and
a provider's copy of an inbound picture.

- only http and https, no user-info in the URL;
- the host is resolved here and every address must be public: private, loopback,
  link-local (cloud metadata at 169.254.169.254), multicast, reserved and unspecified
  addresses are refused, unless ``allow_private`` (a development and test setting: the
  tests' servers and the simulated carrier listen on loopback);
- the connection goes to the address that was checked (no second lookup that DNS rebinding
  could answer differently), with the host name for TLS (certificate checked) and ``Host``;
- a time-out on connecting and on every read, and a total deadline;
- at most ``max_bytes`` read (a larger Content-Length is refused before reading);
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each target checked again.

Pure of the ORM; ``services`` turns what it fetched into a media object.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError

MAX_REDIRECTS = 3
USER_AGENT = "ContactYourClient-Media/1.0"


class FetchRefused(ValueError):
    """The URL may not be fetched, or did not give a file; the message says why."""


@dataclass(frozen=True)
class FetchConfig:
    timeout: float = 10.0
    max_bytes: int = 5_000_000
    allow_private: bool = False
    ca_bundle: str = ""  # empty: certifi's
    auth: tuple[str, str] | None = None  # HTTP basic (Twilio's media URLs)


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL, after redirects
    data: bytes
    declared_type: str  # what the server said (kept for the record; never trusted)


def public_address(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    return addr.is_global and not addr.is_multicast


def _resolve(host: str, port: int, config: FetchConfig) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchRefused(f"The host {host} could not be resolved.") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise FetchRefused(f"The host {host} has no address.")
    if not config.allow_private:
        for address in addresses:
            if not public_address(address):
                raise FetchRefused(
                    "The URL points at a private, loopback or link-local address; "
                    "only public addresses are fetched."
                )
    return addresses[0]


def _target(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused("Only http and https URLs are fetched.")
    if parts.username or parts.password or "@" in parts.netloc:
        raise FetchRefused("A URL with a user name or password is not fetched.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused("The URL's port is not valid.") from exc
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path


def fetch(url: str, *, config: FetchConfig) -> Fetched:
    """GET ``url`` within the limits above; raises ``FetchRefused`` with a sentence."""
    deadline = time.monotonic() + config.timeout * 2
    headers = {"User-Agent": USER_AGENT, "Accept": "image/*, text/vcard, text/x-vcard"}
    if config.auth:
        headers.update(urllib3.make_headers(basic_auth=":".join(config.auth)))
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _target(url)
        address = _resolve(host, port, config)
        timeout = urllib3.Timeout(connect=config.timeout, read=config.timeout)
        pool: urllib3.HTTPConnectionPool
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                port=port,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=config.ca_bundle or certifi.where(),
                timeout=timeout,
                retries=False,
                maxsize=1,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port=port, timeout=timeout, maxsize=1)
        try:
            try:
                resp = pool.urlopen(
                    "GET",
                    path,
                    headers={**headers, "Host": host if port in (80, 443) else f"{host}:{port}"},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
            except HTTPError as exc:
                raise FetchRefused(
                    f"The URL could not be fetched ({exc.__class__.__name__})."
                ) from exc
            try:
                if resp.status in (301, 302, 303, 307, 308):
                    location = resp.headers.get("Location", "")
                    if not location:
                        raise FetchRefused("The URL redirects nowhere.")
                    url = urljoin(url, location)
                    # basic auth goes to the host it was meant for only
                    if urlsplit(url).hostname != host:
                        headers.pop("authorization", None)
                    continue
                if resp.status != 200:
                    raise FetchRefused(f"The server answered HTTP {resp.status}.")
                length = resp.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > config.max_bytes:
                    raise FetchRefused(f"The file is larger than {config.max_bytes:,} bytes.")
                chunks, total = [], 0
                try:
                    for chunk in resp.stream(64 * 1024):
                        total += len(chunk)
                        if total > config.max_bytes:
                            raise FetchRefused(
                                f"The file is larger than {config.max_bytes:,} bytes."
                            )
                        if time.monotonic() > deadline:
                            raise FetchRefused(
                                f"The file did not arrive within {config.timeout * 2:g} s."
                            )
                        chunks.append(chunk)
                except HTTPError as exc:
                    raise FetchRefused(
                        f"The file did not arrive within {config.timeout:g} s."
                    ) from exc
                declared = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
                return Fetched(url=url, data=b"".join(chunks), declared_type=declared)
            finally:
                resp.release_conn()
        finally:
            pool.close()
    raise FetchRefused(f"More than {MAX_REDIRECTS} redirects.")
