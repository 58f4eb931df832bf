"""Fetching a file from a URL someone gave us, safely (SSRF): the API's ``media_url`` and
a provider's copy of an inbound picture.

- through ``accounts.outbound.pinned_pool``, the one resolver of outbound requests: only
  http and https, no user-info in the URL; the host is resolved once and every address
  must be public: private, loopback, link-local (cloud metadata at 169.254.169.254),
  multicast, reserved and unspecified addresses are refused, unless ``allow_private`` (a
  development and test setting: the tests' servers and the simulated carrier listen on
  loopback); the connection goes to the address that was checked (no second lookup that
  DNS rebinding could answer differently), with the host name for TLS (certificate
  checked) and ``Host``;
- a time-out on connecting and on every read, and a total deadline;
- at most ``max_bytes`` read (a larger Content-Length is refused before reading);
- redirects are followed by hand, at most ``MAX_REDIRECTS``, each target checked again.

Pure of the ORM; ``services`` turns what it fetched into a media object.
"""

import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from urllib3.exceptions import HTTPError

from accounts import outbound

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


def fetch(url: str, *, config: FetchConfig) -> Fetched:
    """GET ``url`` within the limits above; raises ``FetchRefused`` with a sentence."""
    deadline = time.monotonic() + config.timeout * 2
    headers = {"User-Agent": USER_AGENT, "Accept": "image/*, text/vcard, text/x-vcard"}
    if config.auth:
        headers.update(urllib3.make_headers(basic_auth=":".join(config.auth)))
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            pool, path, host_header = outbound.pinned_pool(
                url,
                allow_private=config.allow_private,
                timeout=config.timeout,
                ca_certs=config.ca_bundle,
            )
        except outbound.AddressRefused as exc:
            raise FetchRefused(str(exc)) from exc
        try:
            try:
                resp = pool.urlopen(
                    "GET",
                    path,
                    headers={**headers, "Host": host_header},
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
                    hop_host = urlsplit(url).hostname
                    url = urljoin(url, location)
                    # basic auth goes to the host it was meant for only
                    if urlsplit(url).hostname != hop_host:
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
