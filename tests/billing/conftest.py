"""The simulated payment processor as a real process (devtools/processor.py), reached by
the official stripe library through STRIPE_API_BASE; its webhooks go to the live server."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.fixtures.carrier import free_port
from tests.portal.conftest import new_page, sending_stack  # noqa: F401 - the journeys' fixtures

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = "sk_test_billing_suite"
WEBHOOK_SECRET = "whsec_billing_suite"


class ProcessorProcess:
    def __init__(self, *, webhook_url: str = "", log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.handle = open(log, "w")  # noqa: SIM115 - closed in stop()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "run_processor", "--port", str(self.port),
             "--webhook-url", webhook_url],
            cwd=ROOT, env=env, stdout=self.handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the simulated processor did not start")

    def control(self, **changes) -> dict:
        return requests.post(f"{self.url}/control", json=changes, timeout=5).json()

    def state(self) -> dict:
        return requests.get(f"{self.url}/control", timeout=5).json()

    def wait_delivered(self, timeout: float = 20.0) -> dict:
        """Until every webhook sent so far was delivered (2xx) to its target."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state["pending"] == 0 and state["delivered"] >= len(state["events"]):
                return state
            time.sleep(0.1)
        raise AssertionError(f"webhooks not delivered: {self.state()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.handle.close()


@pytest.fixture(scope="session")
def _shared_processor(tmp_path_factory):
    p = ProcessorProcess(log=tmp_path_factory.mktemp("processor") / "processor.log")
    yield p
    p.stop()


@pytest.fixture
def processor(_shared_processor, settings):
    """The simulated processor, reset, with our settings pointed at it (webhooks nowhere
    until a test names its live server)."""
    settings.STRIPE_API_BASE = _shared_processor.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    _shared_processor.control(reset=True, webhook_url="")
    return _shared_processor


def pay_on_hosted_page(
    url: str, number: str, *, authenticate: str | None = None
) -> requests.Response:
    """What a person does on the processor's card page, without a browser: post the card
    (and answer the bank's challenge). Returns the last response (a redirect to our
    success URL when it went through)."""
    session = requests.Session()
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text
    response = session.post(
        url, data={"number": number, "expiry": "12/34", "cvc": "123"}, allow_redirects=False,
        timeout=10,
    )  # fmt: skip
    if (
        authenticate is not None
        and response.status_code == 302
        and response.headers["Location"].endswith("/authenticate")
    ):
        response = session.post(
            url + "/authenticate", data={"outcome": authenticate}, allow_redirects=False,
            timeout=10,
        )  # fmt: skip
    return response
