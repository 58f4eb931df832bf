"""Fixtures of the Twilio-compatible API's tests: the business's credentials, the official
``twilio`` client pointed at the live test server, and a local receiver for callbacks."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from accounts import services as account_services
from tests.factories.messaging import consenting_contact, sending_number


@pytest.fixture
def number(business):
    return sending_number(business=business)


@pytest.fixture
def contact(business, number):
    return consenting_contact(business=business, number=number)


@pytest.fixture
def account(business, owner):
    account, token = account_services.twilio_account_rotate_token(business=business, by=owner)
    return account, token


def twilio_client(base_url: str, username: str, password: str, account_sid: str) -> Client:
    client = Client(
        username, password, account_sid=account_sid, http_client=TwilioHttpClient(timeout=30)
    )
    client.api.base_url = base_url
    return client


@pytest.fixture
def client_for(live_server):
    def make(username: str, password: str, account_sid: str) -> Client:
        return twilio_client(live_server.url, username, password, account_sid)

    return make


@pytest.fixture
def tw(account, client_for):
    """The official client with the business's account SID and auth token."""
    acct, token = account
    return client_for(acct.account_sid, token, acct.account_sid)


class Receiver:
    """A local HTTP server that records each form POST (headers, fields, URL) and answers
    with ``answer`` (TwiML for inbound forwards)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answer = b""
        self.status = 200
        self.files: dict[str, tuple[str, bytes]] = {}  # path -> (content type, bytes) for GET
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                content_type, data = receiver.files.get(self.path, ("text/plain", b""))
                self.send_response(200 if self.path in receiver.files else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "params": dict(parse_qsl(body, keep_blank_values=True)),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Type", "text/xml")
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on loopback
    r = Receiver()
    yield r
    r.close()
