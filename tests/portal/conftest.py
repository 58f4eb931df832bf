"""Browser journeys: Debian's chromium through Playwright against the live portal, the
simulated carrier and a real Celery worker, on PostgreSQL and Redis.

One browser per module (``chromium`` from tests/browser.py); each test gets fresh contexts.
The worker is a subprocess on the live server's test database, so journeys use
``live_server`` (transactional: rows are committed).
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.processes import database_url
from tests.browser import ConsoleWatch

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 15_000  # generous for a loaded 2-core CI machine


@pytest.fixture
def new_page(chromium, live_server):
    """new_page(viewport=None) -> a page in a fresh context (its own cookies). Not guarded
    like tests/browser.py's pages: journeys open a salon's site on another loopback origin.
    Watched like them: a console error (a CSP violation, a 404) or an uncaught script error
    on any page fails the test when the contexts close."""
    contexts = []
    watches = []

    def make(viewport: dict | None = None):
        context = chromium.new_context(
            base_url=live_server.url, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        watches.append(ConsoleWatch(context))
        return context.new_page()

    yield make
    for c in contexts:
        c.close()
    for w in watches:
        w.check()


def shoot(page, name: str) -> Path:
    """Write docs/screenshots/<name>.png (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def staff_login(db):
    """staff_login(page): a compliance staff member signs in to the admin with password and
    TOTP code, as in production (django-otp)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.create_superuser(email="staff@cyc.example", password="staff-pass-1234!")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    def login(page):
        page.goto("/admin/login/")
        # one submit: with one device there is none to choose (accounts.admin.StaffLoginForm)
        page.fill("#id_username", user.email)
        page.fill("#id_password", "staff-pass-1234!")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        page.fill("#id_otp_token", f"{code:0{device.digits}d}")
        page.click("input[type=submit][value='Log in']")
        page.wait_for_url("**/admin/")
        return user

    return login


class Worker:
    def __init__(self, env: dict, log: Path) -> None:
        self.log = log
        self.handle = open(log, "w")  # noqa: SIM115 - closed in stop()
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--concurrency=2",
            "--loglevel=INFO",
            "-n",
            f"portal-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready." in log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"celery worker did not start:\n{log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.handle.close()


@pytest.fixture
def sending_stack(live_server, carrier, settings, tmp_path):
    """The live portal wired to the simulated carrier (both directions) and a Celery worker
    on the live server's test database."""
    from django.db import connection

    from config.celery_app import app

    settings.CARRIER_URL = carrier.url
    settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    settings.MESSAGING_STATUS_CALLBACKS = True
    carrier.control(webhook_base=live_server.url)
    from messaging.providers import _cache

    _cache.clear()  # providers are built from settings on first use
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CARRIER_URL": carrier.url,
        "MESSAGING_WEBHOOK_BASE_URL": live_server.url,
        "MESSAGING_STATUS_CALLBACKS": "true",
        "MESSAGING_RATE_LIMIT": str(settings.MESSAGING_RATE_LIMIT),
        "MESSAGING_RATE_WINDOW": str(settings.MESSAGING_RATE_WINDOW),
    }
    app.control.purge()
    worker = Worker(env, tmp_path / "worker.log")
    yield {"carrier": carrier, "worker": worker, "url": live_server.url}
    worker.stop()
    app.control.purge()
    _cache.clear()


def wait_until(check, *, timeout: float = 20.0, interval: float = 0.2, what: str = ""):
    """Poll ``check()`` until it returns something truthy (the worker runs elsewhere)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what or check}")
