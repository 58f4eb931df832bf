import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from tests.factories.messaging import consenting_contact, sending_number

# the browser journey's live portal, carrier and worker (tests/portal/conftest.py)
from tests.portal.conftest import new_page, sending_stack  # noqa: F401

VCARD = (
    b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bright Smile Front Desk\r\n"
    b"TEL;TYPE=WORK:+13125550100\r\nEND:VCARD\r\n"
)


def photo(size=(800, 600), *, description: str = "", gps: bool = True, fmt="JPEG") -> bytes:
    """A JPEG (or another format) with a camera's EXIF, a description and a GPS position."""
    image = Image.effect_noise(size, 40).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Test Camera"
    if description:
        exif[0x010E] = description
    if gps:
        where = exif.get_ifd(0x8825)
        where[1], where[2] = "N", (41.0, 52.0, 30.0)
    out = io.BytesIO()
    image.save(out, fmt, exif=exif, quality=95)
    return out.getvalue()


def png(size=(64, 48), color="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


class FileServer:
    """A loopback HTTP server that serves ``files`` {path: (content_type, bytes)} and
    redirects {path: location}; what it was asked is in ``.requests``."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        self.auth: list[str] = []  # the Authorization header of each request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                server.auth.append(self.headers.get("Authorization", ""))
                if self.path in server.redirects:
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.end_headers()
                    return
                found = server.files.get(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", found[0])
                self.send_header("Content-Length", str(len(found[1])))
                self.end_headers()
                self.wfile.write(found[1])

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server():
    server = FileServer()
    yield server
    server.close()


@pytest.fixture
def mms_number(business):
    """A sending number on a campaign registered for MMS."""
    return sending_number(business=business, campaign__mms=True)


@pytest.fixture
def mms_contact(business, mms_number):
    return consenting_contact(business=business, number=mms_number)
