"""The SSRF-safe fetch: public addresses only (unless the test/dev setting allows loopback),
time-outs, size limits, redirects checked again."""

import pytest

from accounts import outbound
from messaging.media import fetch

from .conftest import png

STRICT = fetch.FetchConfig(timeout=2, max_bytes=100_000, allow_private=False)
LOOSE = fetch.FetchConfig(timeout=2, max_bytes=100_000, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://localhost/x.png",
        "http://10.0.0.8/x.png",
        "http://192.168.1.1/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x.png",
        "http://[::ffff:127.0.0.1]/x.png",
        "http://0.0.0.0/x.png",
    ],
)
def test_private_loopback_and_link_local_are_refused(url):
    with pytest.raises(fetch.FetchRefused, match="private or reserved network address"):
        fetch.fetch(url, config=STRICT)


@pytest.mark.parametrize(
    "url,why",
    [
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.com/x", "Only http and https"),
        ("http://user:pw@example.com/x.png", "user name or password"),
        ("http:///x.png", "no host"),
    ],
)
def test_other_schemes_and_credentials_are_refused(url, why):
    with pytest.raises(fetch.FetchRefused, match=why):
        fetch.fetch(url, config=STRICT)


def test_public_address_rules():
    assert outbound.public_address("93.184.216.34")
    assert not outbound.public_address("100.64.0.1")  # carrier-grade NAT
    assert not outbound.public_address("224.0.0.1")


def test_loopback_allowed_only_by_the_setting(file_server):
    file_server.files["/a.png"] = ("image/png", png())
    got = fetch.fetch(f"{file_server.url}/a.png", config=LOOSE)
    assert got.data == png() and got.declared_type == "image/png"
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(f"{file_server.url}/a.png", config=STRICT)


def test_size_limit_and_http_errors(file_server):
    file_server.files["/big"] = ("image/png", b"x" * 200_000)
    with pytest.raises(fetch.FetchRefused, match="larger than"):
        fetch.fetch(f"{file_server.url}/big", config=LOOSE)
    with pytest.raises(fetch.FetchRefused, match="HTTP 404"):
        fetch.fetch(f"{file_server.url}/missing", config=LOOSE)


def test_redirects_are_followed_a_few_times_and_checked_again(file_server):
    file_server.files["/final.png"] = ("image/png", png())
    file_server.redirects["/go"] = "/final.png"
    assert fetch.fetch(f"{file_server.url}/go", config=LOOSE).data == png()
    file_server.redirects["/loop"] = "/loop"
    with pytest.raises(fetch.FetchRefused, match="redirects"):
        fetch.fetch(f"{file_server.url}/loop", config=LOOSE)


def test_bad_ports_closed_ports_and_empty_redirects(file_server):
    with pytest.raises(fetch.FetchRefused, match="port"):
        fetch.fetch("http://127.0.0.1:99999/x.png", config=LOOSE)
    closed = file_server.url.rsplit(":", 1)[0] + ":9"
    with pytest.raises(fetch.FetchRefused, match="could not be fetched"):
        fetch.fetch(f"{closed}/x.png", config=LOOSE)
    file_server.redirects["/nowhere"] = ""
    with pytest.raises(fetch.FetchRefused, match="redirects nowhere"):
        fetch.fetch(f"{file_server.url}/nowhere", config=LOOSE)


def test_credentials_go_only_to_their_host(file_server):
    file_server.files["/pic.png?size=2"] = ("image/png", png())
    file_server.redirects["/start"] = "/pic.png?size=2"
    port = file_server.url.rsplit(":", 1)[1]
    file_server.redirects["/away"] = f"http://localhost:{port}/pic.png?size=2"
    config = fetch.FetchConfig(timeout=2, max_bytes=100_000, allow_private=True, auth=("AC1", "t"))
    assert fetch.fetch(f"{file_server.url}/start", config=config).data == png()
    assert fetch.fetch(f"{file_server.url}/away", config=config).url.startswith("http://localhost")
    assert file_server.requests == ["/start", "/pic.png?size=2", "/away", "/pic.png?size=2"]
    basic = file_server.auth[0]
    assert basic.startswith("Basic ")
    # same host after the redirect: still sent; another host name: dropped
    assert file_server.auth == [basic, basic, basic, ""]
