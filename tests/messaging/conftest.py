"""Real Celery workers (and beat) for the send-path tests, on the test database.

Tests using them need ``transactional_db`` (the workers are other processes and only see
committed rows). The broker is this process's CELERY_BROKER_URL (run the suite with
CELERY_BROKER_URL=redis://127.0.0.1:6379/<your db>); it is purged before workers start.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from devtools.processes import database_url
from messaging.workers import worker_argv

ROOT = Path(__file__).resolve().parent.parent.parent


class Proc:
    def __init__(self, name: str, cmd: list[str], env: dict, log: Path) -> None:
        self.name, self.log = name, log
        self.handle = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not print {text!r}:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once (no warm shutdown)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()
        self.handle.close()


def worker_env(**overrides) -> dict:
    url = database_url(connection.settings_dict)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "CELERY_SKIP_CHECKS": "1",  # system checks are the suite's job, not each worker's
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "MESSAGING_RATE_LIMIT": str(settings.MESSAGING_RATE_LIMIT),
        "MESSAGING_RATE_WINDOW": str(settings.MESSAGING_RATE_WINDOW),
        "MESSAGING_SEND_TIMEOUT": str(settings.MESSAGING_SEND_TIMEOUT),
        "MESSAGING_RECOVERY_GRACE": str(settings.MESSAGING_RECOVERY_GRACE),
        "MESSAGING_STATUS_CALLBACKS": "true" if settings.MESSAGING_STATUS_CALLBACKS else "false",
        "MESSAGING_WEBHOOK_BASE_URL": settings.MESSAGING_WEBHOOK_BASE_URL,
        "CARRIER_URL": settings.CARRIER_URL,
        "MESSAGING_CARRIER_LIMITS": "true" if settings.MESSAGING_CARRIER_LIMITS else "false",
        "MESSAGING_BRAND_PERIOD": str(settings.MESSAGING_BRAND_PERIOD),
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


@pytest.fixture
def celery_procs(tmp_path):
    """start(kind="worker"|"beat", name=...) -> Proc; all stopped at the end."""
    from config.celery_app import app

    started: list[Proc] = []
    app.control.purge()

    def start(kind: str = "worker", name: str = "w", concurrency: int = 2) -> Proc:
        if kind == "worker":
            cmd = worker_argv(concurrency=concurrency, name=f"{name}-{os.getpid()}@%h")
            ready = "ready."
        else:
            cmd = [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(tmp_path / "beat-schedule"),
            ]
            ready = "beat: Starting"
        proc = Proc(name, cmd, worker_env(), tmp_path / f"{name}.log")
        started.append(proc)
        proc.wait_for(ready)
        return proc

    yield start
    for proc in started:
        proc.stop()
    app.control.purge()
