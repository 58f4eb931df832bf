"""One client IP behind a trusted proxy (issue 18, finding 1).

The resolver is table-tested; then a real nginx (Debian's package) runs in front of a real
gunicorn, both started here on loopback ports, and clients connecting from different
loopback addresses (127.0.0.2, 127.0.0.3) get their own consent evidence, their own rate
limit and their own login lockout, while an X-Forwarded-For sent straight to gunicorn by
a peer that is not a trusted proxy is ignored.
"""

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.db import connection
from requests.adapters import HTTPAdapter

from accounts.client_ip import client_ip, resolve
from accounts.models import AuditEvent
from consent.models import ConsentEvent
from devtools.processes import database_url
from tests.factories.accounts import PASSWORD
from tests.factories.consent import OptInFormFactory

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = "https://brightsmile.example"
PROXY = ("127.0.0.1/32",)


@pytest.mark.parametrize(
    ("peer", "header", "trusted", "client"),
    [
        # no trusted proxy: the header is never read
        ("203.0.113.5", "198.51.100.1", (), "203.0.113.5"),
        # an untrusted peer sending the header itself: ignored
        ("203.0.113.5", "198.51.100.1", PROXY, "203.0.113.5"),
        # our proxy appended the real peer: that is the client
        ("127.0.0.1", "198.51.100.1", PROXY, "198.51.100.1"),
        # whatever the client wrote stays left of what our proxy appended
        ("127.0.0.1", "6.6.6.6, 198.51.100.1", PROXY, "198.51.100.1"),
        # two trusted hops (a CDN range and the proxy), CIDR
        ("10.0.0.2", "198.51.100.1, 10.9.9.9", ("10.0.0.0/8",), "198.51.100.1"),
        # garbage left of our proxy: the last address we can vouch for
        ("127.0.0.1", "not-an-ip, 127.0.0.1", PROXY, "127.0.0.1"),
        ("127.0.0.1", "", PROXY, "127.0.0.1"),
        # ports, brackets, IPv4-mapped IPv6
        ("127.0.0.1", "198.51.100.1:4711", PROXY, "198.51.100.1"),
        ("127.0.0.1", "[2001:db8::1]:443", PROXY, "2001:db8::1"),
        ("::ffff:203.0.113.5", "1.2.3.4", PROXY, "203.0.113.5"),
        (None, "1.2.3.4", PROXY, None),
    ],
)
def test_resolve(peer, header, trusted, client):
    assert resolve(peer, header, trusted) == client


def test_client_ip_reads_the_trusted_proxies_setting(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    settings.TRUSTED_PROXIES = []
    assert client_ip(request) == "127.0.0.1"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    settings.TRUSTED_PROXIES = ["127.0.0.0/30"]
    assert client_ip(request) == "198.51.100.9"


def test_axes_uses_the_same_resolver(rf, settings):
    from axes.helpers import get_client_ip_address

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert get_client_ip_address(request) == "198.51.100.9"


def test_no_caller_reads_remote_addr_itself():
    """Every IP comes from accounts.client_ip: no module of ours reads REMOTE_ADDR."""
    offenders = []
    for app in ("accounts", "consent", "campaigns", "messaging", "policies", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if path.name != "client_ip.py" and "REMOTE_ADDR" in path.read_text():
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# --- nginx in front of gunicorn ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=2)
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


class _From(HTTPAdapter):
    """Connect from a given loopback address: a distinct client as nginx sees it."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _session(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _From(address))
    return session


NGINX_CONF = """
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@pytest.fixture
def stack(transactional_db, tmp_path):
    """gunicorn (TRUSTED_PROXIES=127.0.0.1, 2 opt-ins per address) behind nginx."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx missing: apt-get install nginx (.ci/run installs it)"
    app_port, proxy_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CACHE_KEY_PREFIX": f"proxy-test-{uuid.uuid4().hex[:8]}",  # fresh counters each run
        "TRUSTED_PROXIES": "127.0.0.1",
        "CONSENT_FORM_RATE_PER_IP": "2/600",
        "AXES_FAILURE_LIMIT": "3",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    app_log = tmp_path / "gunicorn.log"
    app = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{app_port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=app_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp_path, port=proxy_port, upstream=app_port))
    proxy_log = tmp_path / "nginx.out"
    proxy = subprocess.Popen(
        [nginx, "-c", str(conf), "-p", str(tmp_path)],
        stdout=proxy_log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait(f"http://127.0.0.1:{app_port}/healthz", app, app_log)
        _wait(f"http://127.0.0.1:{proxy_port}/healthz", proxy, tmp_path / "nginx-error.log")
        yield {
            "proxy": f"http://127.0.0.1:{proxy_port}",
            "app": f"http://127.0.0.1:{app_port}",
        }
    finally:
        for proc in (proxy, app):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, 15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)


def _opt_in(base: str, form, source: str, phone: str, headers: dict | None = None) -> int:
    response = _session(source).post(
        f"{base}/f/{form.uuid}/submit/",
        {"phone": phone, "consent": "1", "age_confirmed": "1"},
        headers={"Origin": SITE, **(headers or {})},
        timeout=20,
    )
    return response.status_code


def test_distinct_clients_behind_the_proxy_get_their_own_evidence_and_limits(stack, business):
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    proxy = stack["proxy"]
    # 127.0.0.2 claims another address in the header: nginx appends the real one, which wins
    spoof = {"X-Forwarded-For": "198.51.100.77"}
    assert _opt_in(proxy, form, "127.0.0.2", "3125550101", spoof) == 200
    assert _opt_in(proxy, form, "127.0.0.2", "3125550102") == 200
    assert _opt_in(proxy, form, "127.0.0.2", "3125550103") == 429  # its own limit is used up
    assert _opt_in(proxy, form, "127.0.0.3", "3125550104") == 200  # another visitor is not
    ips = dict(
        ConsentEvent.objects.filter(business=business).values_list("contact__phone", "evidence__ip")
    )
    assert ips == {
        "+13125550101": "127.0.0.2",
        "+13125550102": "127.0.0.2",
        "+13125550104": "127.0.0.3",
    }


def test_a_forwarded_header_sent_straight_to_gunicorn_is_ignored(stack, business):
    form = OptInFormFactory(business=business, allowed_origins=[SITE], double_opt_in=False)
    spoof = {"X-Forwarded-For": "198.51.100.77"}
    # 127.0.0.4 is no trusted proxy: its header is ignored, its own address is the evidence
    assert _opt_in(stack["app"], form, "127.0.0.4", "3125550105", spoof) == 200
    assert _opt_in(stack["app"], form, "127.0.0.4", "3125550106", spoof) == 200
    # and claiming a fresh address does not buy a fresh limit
    other = {"X-Forwarded-For": "198.51.100.78"}
    assert _opt_in(stack["app"], form, "127.0.0.4", "3125550107", other) == 429
    assert set(
        ConsentEvent.objects.filter(business=business).values_list("evidence__ip", flat=True)
    ) == {"127.0.0.4"}


def _login(session: requests.Session, base: str, email: str, password: str) -> requests.Response:
    page = session.get(f"{base}/accounts/login/", timeout=20)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{base}/accounts/login/",
        {"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=20,
    )


def test_one_visitors_bad_passwords_do_not_lock_the_owner_out_for_everyone(stack, owner):
    proxy, email = stack["proxy"], owner.user.email
    attacker, member = _session("127.0.0.2"), _session("127.0.0.3")
    for _ in range(2):
        assert _login(attacker, proxy, email, "wrong-password").status_code == 200
    # the third failure locks this address out of the account, even with the right password
    assert _login(attacker, proxy, email, "wrong-password").status_code == 429
    assert _login(attacker, proxy, email, PASSWORD).status_code == 429
    # the owner, from their own address, signs in
    response = _login(member, proxy, email, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].startswith("/app")
    audit_ips = set(
        AuditEvent.objects.filter(action__startswith="user.").values_list("ip", flat=True)
    )
    assert "127.0.0.1" not in audit_ips
