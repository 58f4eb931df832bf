"""Tenants' webhooks against our own network, second review (after issue 18).

The URL was checked by one DNS look-up and connected to by another (``requests``): a host
whose DNS answers a public address to the check and 127.0.0.1 to the connection (DNS
rebinding) reached loopback. And the whole answer of a tenant's server was read into a
worker's memory. DNS is the outside world here: the tests answer for it, nothing else.
"""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts import outbound
from accounts.events import retrying, services
from accounts.events.models import WebhookDelivery
from messaging.media import fetch
from messaging.reminders import feeds

pytestmark = pytest.mark.django_db

REBINDING_HOST = "hooks.tenant.example"
PUBLIC = "93.184.216.34"
_real_getaddrinfo = socket.getaddrinfo


class Listener:
    """A TCP port on loopback that counts the connections reaching it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    found = Listener()
    yield found
    found.close()


def _rebinding_dns(monkeypatch, *, public_answers: int) -> list[str]:
    """``REBINDING_HOST`` resolves to a public address ``public_answers`` times, then to
    127.0.0.1 (a rebinding server with a TTL of 0); every other name as usual."""
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBINDING_HOST:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        address = PUBLIC if len(asked) <= public_answers else "127.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 0))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_webhook_host_that_rebinds_to_loopback_is_never_connected_to(
    business, settings, monkeypatch, listener
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    # public to the check when the endpoint is saved and to the check before the attempt,
    # loopback to any look-up after
    asked = _rebinding_dns(monkeypatch, public_answers=2)
    endpoint = services.webhook_endpoint_create(
        business=business,
        url=f"https://{REBINDING_HOST}:{listener.port}/events",
        events=["message.status"],
    )
    delivery = services.webhook_send_test(endpoint=endpoint)
    services.webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert listener.connections == 0
    assert delivery.status == WebhookDelivery.Status.RETRYING
    assert "private or reserved network address" in delivery.last_error
    assert len(asked) == 3  # the attempt looked up once more, and connected nowhere


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    # one look-up: the pool's host is the checked address itself, so the HTTP client has
    # no name left to resolve again (the second answer, loopback, is never asked for)
    asked = _rebinding_dns(monkeypatch, public_answers=1)
    pool, path, host = outbound.pinned_pool(
        f"https://{REBINDING_HOST}/in?x=1", allow_private=False, timeout=1.0
    )
    assert (pool.host, pool.port, path, host) == (PUBLIC, 443, "/in?x=1", REBINDING_HOST)
    assert len(asked) == 1
    pool.close()


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fd00::1", "0.0.0.0"],  # noqa: S104 - refused, not bound
)
def test_private_loopback_and_metadata_addresses_are_refused(monkeypatch, address):
    def getaddrinfo(host, port, *args, **kwargs):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(outbound.AddressRefused, match="private or reserved network address"):
        outbound.pinned_pool("https://anything.example/x", allow_private=False, timeout=1.0)


class _Flood(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", str(20 * 1024 * 1024))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(320):
                self.wfile.write(chunk)
        except OSError:
            pass  # the client stopped reading: what we want

    def log_message(self, *args):
        pass


def test_a_tenant_server_answering_megabytes_is_read_only_to_the_cap(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the flooding server is on loopback
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flood)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = retrying.post(
            retrying.Request(
                f"http://127.0.0.1:{server.server_port}/hook", {"User-Agent": "t"}, b"{}"
            )
        )
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status == 200 and answer.error == ""
    assert len(answer.content) == retrying.RESPONSE_MAX_BYTES


def test_every_outbound_fetch_refuses_a_private_address_with_one_sentence(monkeypatch):
    # D8: the webhooks, media from a URL and calendar feeds resolve through accounts.outbound
    # alone; a rebinding host is refused by each with the same sentence for the business
    asked = _rebinding_dns(monkeypatch, public_answers=0)
    url = f"https://{REBINDING_HOST}/x"
    refused = []
    with pytest.raises(outbound.AddressRefused) as webhook:
        outbound.pinned_pool(url, allow_private=False, timeout=1.0)
    refused.append(str(webhook.value))
    with pytest.raises(fetch.FetchRefused) as media:
        fetch.fetch(url, config=fetch.FetchConfig(timeout=1.0, allow_private=False))
    refused.append(str(media.value))
    with pytest.raises(feeds.FeedError) as feed:
        feeds.fetch(url, timeout=1.0, max_bytes=1000, allow_private=False)
    refused.append(str(feed.value))
    assert refused == [outbound.private_address_message(REBINDING_HOST)] * 3
    assert len(asked) == 3  # one look-up each, and no connection
