"""The first hour, as a new user meets it: a fresh clone's `make run`, on ports that are not
the defaults, with no DATABASE_URL, broker or Redis set, so everything embedded serves (the
embedded PostgreSQL, the server-less broker, the simulated carrier, honcho on the Procfile).

Through it, end to end: a text sent with the printed demo API key is delivered exactly once
(the carrier's audit log has one line for it), the message log shows it delivered; a new
client signs up on the opt-in form in a real browser, replies YES and is opted in, replies
STOP and is opted out (and a text to them is then refused); Ctrl-C stops every process,
none is SIGKILLed and none is left behind.

Runs as its own stage (`make test`, after the fault stage): `pytest -m smoke tests/smoke`.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect, sync_playwright

from tests.browser import LAUNCH_ARGS

pytestmark = [pytest.mark.smoke, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_NUMBER = "+12025550142"
NEW_CLIENT = "+13125550177"
# Variables a developer's or CI's shell may hold: a new user's has none of them.
CLEARED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "REQUIRE_SERVICES",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "SITE_URL",
    "PORT",
    "WEB_PORT",
    "CARRIER_PORT",
    "CARRIER_URL",
    "VIRTUAL_ENV",
)
START_TIMEOUT = 600  # a fresh clone installs its virtualenv first (pip, about 1-3 minutes)


def _free_pair() -> int:
    """A port P with P and P + 25 (the carrier's, derived from it) both free."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 25 > 65535:
            continue
        with socket.socket() as t:
            try:
                t.bind(("127.0.0.1", port + 25))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of ports")


def _wait(check, *, timeout: float, what: str, proc=None, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text()[-4000:] if log else ""
            raise AssertionError(f"make run exited ({proc.returncode}) before {what}:\n{tail}")
        try:
            value = check()
        except (requests.RequestException, OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text()[-4000:] if log else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def _processes_under(path: Path) -> list[str]:
    """Processes whose command line or working directory lies in ``path``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if str(path) in cmdline or cwd.startswith(str(path)):
            found.append(f"{entry.name}: {cmdline.strip()} (cwd {cwd})")
    return found


@pytest.fixture
def clone():
    # Not under pytest's tmp_path: its root is private to root (0700), and as root the
    # embedded PostgreSQL runs as an unprivileged user that must reach the clone.
    parent = Path(tempfile.mkdtemp(prefix="cyc-smoke-"))
    parent.chmod(0o755)
    dest = parent / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(dest)], check=True)
    yield dest
    shutil.rmtree(parent, ignore_errors=True)


def test_make_run_from_a_fresh_clone(clone, tmp_path):
    port = _free_pair()
    site = f"http://127.0.0.1:{port}"
    carrier = f"http://127.0.0.1:{port + 25}"
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != venv_bin)
    log = tmp_path / "make-run.log"
    errors: list[str] = []  # the browser's console errors (a CSP violation is one)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "run", f"PORT={port}"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C is sent to it below
        )
    try:
        _wait(
            lambda: (
                requests.get(f"{site}/healthz", timeout=2).ok
                and requests.get(f"{carrier}/health", timeout=2).ok
            ),
            timeout=START_TIMEOUT,
            what="the portal and the carrier",
            proc=proc,
            log=log,
        )
        output = log.read_text()
        key = re.search(r"Demo API key \(admin role\): (cyc_\S+)", output).group(1)
        assert f"{site}/accounts/login/" in output  # the login printed points at this port
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"

        # --- a text through the API with the demo key: delivered, exactly once ------------
        body = (
            "Bright Smile Dental: your appointment is confirmed for Tue at 3pm. "
            "Reply STOP to opt out."
        )
        answer = api.post(
            f"{site}/api/v1/messages/",
            json={"to": "+13125550101", "kind": "transactional", "body": body},
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        uuid = answer.json()["uuid"]
        _wait(
            lambda: (
                api.get(f"{site}/api/v1/messages/{uuid}/", timeout=5).json()["status"]
                == "DELIVERED"
            ),
            timeout=60,
            what="the text to be delivered",
            proc=proc,
            log=log,
        )

        # --- a new client signs up on the opt-in form, in a real browser ---------------------
        form = api.get(f"{site}/api/v1/optin-forms/", timeout=5).json()["results"][0]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            page = browser.new_page()
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(f"{site}/f/{form['uuid']}/")
            page.get_by_label("Mobile number").fill(NEW_CLIENT)
            page.get_by_label("Name").fill("Robin Newcomer")
            page.locator("input[name=consent]").check()
            page.locator("input[name=age_confirmed]").check()
            page.get_by_role("button", name="Sign up for texts").click()
            expect(page.locator("body")).to_contain_text("YES", timeout=15_000)

            # the portal's message log shows the first text delivered
            page.goto(f"{site}/accounts/login/")
            page.get_by_label("Email").fill("owner@demo.local")
            page.get_by_label("Password").fill("demo-password-123")
            page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
            page.goto(f"{site}/app/messages/{uuid}/")
            expect(page.locator("body")).to_contain_text(re.compile("delivered", re.I))
            browser.close()

        contact = _wait(
            lambda: api.get(
                f"{site}/api/v1/contacts/", params={"search": NEW_CLIENT[2:]}, timeout=5
            ).json()["results"][0],
            timeout=30,
            what="the new contact",
        )

        def last_event() -> str:
            events = api.get(f"{site}/api/v1/contacts/{contact['uuid']}/consent/", timeout=5).json()
            return max(events, key=lambda e: e["seq"])["kind"] if events else ""

        def reply(text: str) -> None:
            answer = requests.post(
                f"{carrier}/v1/simulate/inbound",
                json={"from": NEW_CLIENT, "to": DEMO_NUMBER, "body": text},
                timeout=5,
            )
            assert answer.status_code == 202, answer.text

        reply("YES")
        _wait(lambda: last_event() == "OPT_IN_CONFIRMED", timeout=30, what="YES to opt in")
        reply("STOP")
        _wait(lambda: last_event() == "OPT_OUT", timeout=30, what="STOP to opt out")
        refused = api.post(
            f"{site}/api/v1/messages/",
            json={"to": NEW_CLIENT, "kind": "transactional", "body": "Are you still there?"},
            timeout=10,
        )
        assert refused.status_code >= 400 or refused.json()["status"] not in (
            "QUEUED",
            "SENDING",
            "SENT",
            "DELIVERED",
        ), refused.text

        # the carrier accepted the first text once, never a second time (recovery included)
        time.sleep(2)
        audit = [
            json.loads(line)
            for line in (clone / "var" / "carrier-audit.jsonl").read_text().splitlines()
        ]
        assert [a["message_id"] for a in audit].count(uuid) == 1
        state = requests.get(f"{carrier}/control", timeout=5).json()
        assert state.get("inbound_errors", 0) == 0, state
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    output = log.read_text()
    # make reports Ctrl-C as its own interruption (-SIGINT); the stack itself ended cleanly
    assert proc.returncode in (0, -signal.SIGINT), output[-3000:]
    assert "embedded PostgreSQL stopped" in output, output[-3000:]
    assert "SIGKILL" not in output and "rc=-9" not in output, output[-3000:]
    assert "Warm shutdown" in output
    assert not _processes_under(clone), _processes_under(clone)
    assert not (clone / "var" / "pgdata" / "postmaster.pid").exists()
    assert not errors, errors
