"""The two proofs that a business controls a domain, over the network.

- ``dns_probe``: a TXT record ``cyc-verify=<token>`` at the domain or at
  ``_cyc-verify.<domain>`` (dnspython; the resolver can be pointed at given name servers).
- ``file_probe``: ``https://<domain>/.well-known/cyc-verify.txt`` holding the token, fetched
  over HTTPS with the certificate checked for the domain.

Both are bounded: a time-out on every DNS question, connection and read; at most
``max_bytes`` of a TXT value or of the file; at most ``MAX_TXT_RECORDS`` records read.
The file probe resolves the domain itself, refuses private, loopback, link-local and
reserved addresses (unless ``allow_private``: the tests' stand-ins on loopback), connects
to the address it checked (no second lookup that DNS rebinding could answer differently)
and follows a redirect only to the same host over HTTPS, at most ``MAX_REDIRECTS`` times.
Nothing here touches the database; ``services`` records what a probe found.
"""

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import certifi
import dns.exception
import dns.resolver
import urllib3
from urllib3.exceptions import HTTPError, SSLError, TimeoutError

WELL_KNOWN_PATH = "/.well-known/cyc-verify.txt"
MAX_TXT_RECORDS = 20
MAX_REDIRECTS = 3
USER_AGENT = "ContactYourClient-DomainCheck/1.0"


@dataclass(frozen=True)
class ProbeConfig:
    nameservers: tuple[str, ...] = ()  # empty: the system's resolver
    dns_port: int = 53
    timeout: float = 5.0
    https_port: int = 443
    ca_bundle: str = ""  # empty: certifi's bundle
    allow_private: bool = False
    max_bytes: int = 1024


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    method: str  # "dns" | "file"
    message: str  # a sentence for the business owner


def _resolver(config: ProbeConfig) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=not config.nameservers)
    if config.nameservers:
        resolver.nameservers = list(config.nameservers)
        resolver.port = config.dns_port
    resolver.timeout = config.timeout
    resolver.lifetime = config.timeout
    return resolver


def dns_probe(*, domain: str, token: str, config: ProbeConfig) -> ProbeResult:
    """A TXT record ``cyc-verify=<token>`` at ``domain`` or ``_cyc-verify.<domain>``."""
    expected = f"cyc-verify={token}"
    resolver = _resolver(config)
    problems: list[str] = []
    for name in (domain, f"_cyc-verify.{domain}"):
        try:
            answer = resolver.resolve(name, "TXT", raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            continue
        except dns.exception.Timeout:
            problems.append(f"DNS did not answer for {name} within {config.timeout:g} s")
            continue
        except dns.exception.DNSException as exc:
            problems.append(f"DNS could not answer for {name} ({exc.__class__.__name__})")
            continue
        for rdata in list(answer.rrset or [])[:MAX_TXT_RECORDS]:
            value = b"".join(rdata.strings)[: config.max_bytes + 1]
            if value.decode("ascii", "replace").strip() == expected:
                return ProbeResult(True, "dns", f"Found the TXT record {expected} at {name}.")
    found = "; ".join(problems) + ". " if problems else ""
    return ProbeResult(
        False,
        "dns",
        f"{found}No TXT record {expected} at {domain} or _cyc-verify.{domain} yet "
        "(DNS changes can take up to an hour to show).",
    )


def _public(ip: str) -> bool:
    addr = ipaddress.ip_address(ip)
    return addr.is_global and not addr.is_multicast


def _addresses(domain: str, config: ProbeConfig) -> list[str]:
    resolver = _resolver(config)
    out: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(domain, rdtype, raise_on_no_answer=False)
        except dns.exception.DNSException:
            continue
        out += [r.address for r in list(answer.rrset or [])[:MAX_TXT_RECORDS]]
    return out


def file_probe(*, domain: str, token: str, config: ProbeConfig) -> ProbeResult:
    """``https://<domain>/.well-known/cyc-verify.txt`` holds the token."""
    url = f"https://{domain}{WELL_KNOWN_PATH}"

    def fail(why: str) -> ProbeResult:
        return ProbeResult(False, "file", f"{url}: {why}")

    addresses = _addresses(domain, config)
    if not addresses:
        return fail(f"{domain} has no address in DNS.")
    blocked = [a for a in addresses if not _public(a)]
    if blocked and not config.allow_private:
        return fail(
            f"{domain} points at a private or reserved address ({blocked[0]}); "
            "we only fetch public addresses."
        )
    address = addresses[0]
    path = WELL_KNOWN_PATH
    timeout = urllib3.Timeout(connect=config.timeout, read=config.timeout)
    pool = urllib3.HTTPSConnectionPool(
        address,
        port=config.https_port,
        server_hostname=domain,
        assert_hostname=domain,
        cert_reqs="CERT_REQUIRED",
        ca_certs=config.ca_bundle or certifi.where(),
        timeout=timeout,
        retries=False,
        maxsize=1,
    )
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                resp = pool.urlopen(
                    "GET",
                    path,
                    headers={"Host": domain, "User-Agent": USER_AGENT, "Accept": "text/plain"},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
            except SSLError:
                return fail(f"the HTTPS certificate is not valid for {domain}.")
            except TimeoutError:
                return fail(f"no answer within {config.timeout:g} s.")
            except HTTPError:
                return fail("we could not connect over HTTPS.")
            try:
                if resp.status in (301, 302, 303, 307, 308):
                    target = urlsplit(
                        urljoin(f"https://{domain}{path}", resp.headers.get("Location", ""))
                    )
                    if (
                        target.scheme != "https"
                        or (target.hostname or "").lower() != domain
                        or target.port not in (None, config.https_port)
                    ):
                        return fail(
                            "it redirects to another address; the file must be on the domain "
                            "itself."
                        )
                    path = target.path or "/"
                    if target.query:
                        path += "?" + target.query
                    continue
                if resp.status != 200:
                    return fail(f"the server answered HTTP {resp.status}.")
                length = resp.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > config.max_bytes:
                    return fail(f"the file is larger than {config.max_bytes} bytes.")
                try:
                    body = resp.read(config.max_bytes + 1)
                except (TimeoutError, HTTPError):
                    return fail(f"the file did not arrive within {config.timeout:g} s.")
                if len(body) > config.max_bytes:
                    return fail(f"the file is larger than {config.max_bytes} bytes.")
                lines = {line.strip() for line in body.decode("utf-8", "replace").splitlines()}
                if token in lines or f"cyc-verify={token}" in lines:
                    return ProbeResult(True, "file", f"Found the token at {url}.")
                return fail("the file does not contain this domain's token.")
            finally:
                resp.release_conn()
        return fail(f"more than {MAX_REDIRECTS} redirects.")
    finally:
        pool.close()
