"""A real Celery worker for the tests of the public form's "Reply YES" text, which the form
queues when the pending consent commits (issue 18, finding 9, session 9)."""

import os
import time

import pytest

from messaging.workers import worker_argv
from tests.messaging.conftest import Proc, worker_env


def wait_for(check, what: str, timeout: float = 60):
    """Poll ``check()`` until it answers something truthy (the worker runs elsewhere)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


@pytest.fixture
def text_worker(carrier, settings, tmp_path):
    """start() -> a worker on the test database (started after the test's settings), its
    sends to the simulated carrier; stopped, and the broker purged, at the end. Tests using
    it need ``transaction=True``: the worker only sees committed rows."""
    from config.celery_app import app

    settings.CARRIER_URL = carrier.url
    settings.MESSAGING_STATUS_CALLBACKS = False
    started: list[Proc] = []
    app.control.purge()  # before the test: what it queues stays for the worker

    def start() -> Proc:
        argv = worker_argv(concurrency=1, name=f"consent-{os.getpid()}@%h")
        started.append(Proc("worker", argv, worker_env(), tmp_path / "worker.log"))
        started[-1].wait_for("ready.")
        return started[-1]

    yield start
    for proc in started:
        proc.stop()
    app.control.purge()
