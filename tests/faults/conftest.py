"""Fixtures of the fault-injection stage: the time-scaled cap, real Celery workers and beat
started side by side (the messaging tests' process wrapper), and throwaway Redis and
PostgreSQL servers (tests/faults/servers.py)."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from tests.faults.servers import PG_BIN, ThrowawayPostgres, ThrowawayRedis
from tests.messaging.conftest import Proc, worker_env

# The cap, scaled down so that a broadcast of 50 messages per number spans several windows.
LIMIT, WINDOW = 10, 2.0
READY_TIMEOUT = 120  # Celery start-up on a busy 2-core box, three processes at once


@pytest.fixture
def fault_settings(settings, carrier):
    settings.MESSAGING_RATE_LIMIT = LIMIT
    settings.MESSAGING_RATE_WINDOW = WINDOW
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_RECOVERY_GRACE = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.CARRIER_URL = carrier.url
    return settings


@pytest.fixture
def procs(tmp_path):
    """start("worker:w1", "worker:w2", "beat") starts them at once and waits until each is
    ready; returns {name: Proc}. "run_worker:w1" is a worker under the Procfile's supervisor
    (``manage.py run_worker``: restarted when it exits or stops answering pings, checked
    every 2 s here). Everything started is stopped at the end."""
    from config.celery_app import app

    started: list[Proc] = []
    app.control.purge()

    def start(*specs: str, concurrency: int = 2) -> dict[str, Proc]:
        env = worker_env()  # read now: a scenario may point the workers elsewhere first
        new = {}
        for spec in specs:
            kind, _, name = spec.partition(":")
            name = name or kind
            if kind == "run_worker":
                cmd = [
                    *(sys.executable, "manage.py", "run_worker"),
                    f"--concurrency={concurrency}",
                    *("--name", f"{name}-{os.getpid()}@{socket.gethostname()}"),
                    *("--liveness-interval", "2", "--liveness-misses", "3"),
                ]
            elif kind == "worker":
                cmd = [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                    f"--concurrency={concurrency}",
                    "--loglevel=INFO",
                    *("-n", f"{name}-{os.getpid()}@%h"),
                    "--without-gossip",
                    "--without-mingle",
                ]
            else:
                cmd = [
                    *(sys.executable, "-m", "celery", "-A", "config", "beat"),
                    "--loglevel=INFO",
                    *("--schedule", str(tmp_path / f"{name}-schedule")),
                ]
            new[name] = Proc(name, cmd, env, tmp_path / f"{name}.log")
            started.append(new[name])
        for name, proc in new.items():
            proc.wait_for("beat: Starting" if name.startswith("beat") else "ready.", READY_TIMEOUT)
        return new

    yield start
    # warm shutdown of all at once (one after the other costs seconds per scenario)
    for proc in started:
        if proc.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.proc.pid, signal.SIGTERM)
    for proc in started:
        try:
            proc.proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        proc.handle.close()
    app.control.purge()


@pytest.fixture
def throwaway_redis():
    if not shutil.which("redis-server"):
        pytest.fail("the Redis-restart fault needs redis-server on PATH (apt-get install redis)")
    r = ThrowawayRedis()
    r.start()
    yield r
    r.kill()


@pytest.fixture
def throwaway_postgres():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(
            f"the database-restart fault needs PostgreSQL's server binaries in {PG_BIN} "
            "(Debian: postgresql-15; or set FAULTS_PG_BIN)"
        )
    pg = ThrowawayPostgres()
    pg.start()
    yield pg
    pg.destroy()
