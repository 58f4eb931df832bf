"""Throwaway servers for the fault stage: a Redis and a PostgreSQL cluster of our own that a
scenario may crash and restart without touching the shared ones, and switches that point
this process's Celery producer and database connection at them."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from django.db import connection

from tests.fixtures.carrier import free_port


def _wait_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


class ThrowawayRedis:
    """Our own redis-server (no persistence) on a free port: restarting it loses every
    queued task, like a crash. Never the shared server other sessions use."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, "redis-server")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@contextlib.contextmanager
def publishing_to(url: str):
    """This process's Celery producer publishes to ``url`` inside the block (the kicks of a
    fan-out go where the workers listen), and back to the suite's broker after it."""
    from config.celery_app import app

    def switch(to: str) -> None:
        app.conf.broker_url = to
        app.conf.broker_write_url = to
        app._pool = None  # the connection and producer pools are built on first use
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    switch(url)
    try:
        yield
    finally:
        switch(before)


PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))


class ThrowawayPostgres:
    """Our own PostgreSQL cluster (initdb in a temporary directory, a free port, no fsync)
    holding a copy of the test database, so a scenario can stop and start the server under
    the workers. PostgreSQL refuses to run as root: as root the cluster runs as the
    ``postgres`` system user."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="cyc-faults-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(
            [*self.as_user, str(PG_BIN / tool), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.dir}"
            " -c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        _wait_port(self.port, "the throwaway PostgreSQL")

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: every backend is killed and the next start runs crash recovery, as
        after a crash of the server; ``fast``: a clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def copy_database(self, name: str, source: dict) -> None:
        """The whole test database (schema, the rows migrations load, what the scenario
        seeded) into a database of the same name here, through pg_dump | psql."""
        src = ["-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432)]
        src += ["-U", source["USER"] or "postgres"]
        dst = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        subprocess.run([str(PG_BIN / "createdb"), *dst, name], check=True, timeout=60)
        dump = subprocess.Popen(
            [str(PG_BIN / "pg_dump"), *src, "--no-owner", name], stdout=subprocess.PIPE
        )
        load = subprocess.run(
            [str(PG_BIN / "psql"), *dst, "-q", "-v", "ON_ERROR_STOP=1", "-d", name],
            stdin=dump.stdout,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        dump.stdout.close()
        if dump.wait(60) or load.returncode:
            raise RuntimeError("copying the test database to the throwaway cluster failed")

    def destroy(self) -> None:
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.stop("fast")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def database_on(pg: ThrowawayPostgres):
    """This process's default connection goes to the copy in ``pg`` inside the block (so do
    the workers started inside it: ``worker_env`` reads the connection's settings), and back
    to the test database after it."""
    saved = {k: connection.settings_dict[k] for k in ("HOST", "PORT")}
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(pg.port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
