"""The one command line that starts a Celery worker: the Procfile's wrapper (run_worker),
the send-path benchmark and the tests that run real workers all build it here; and the
supervisor that keeps a worker consuming (``run_worker``: restarted when it exits or stops
answering pings through the broker)."""

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time

from celery import current_app as app  # config's app (messaging may not import config)


def worker_argv(
    *, concurrency: int, loglevel: str = "INFO", queues: str = "", name: str = "", pool: str = ""
) -> list[str]:
    """``celery -A config worker`` without gossip and mingle (nothing here uses them, and
    they slow start-up); the queues, node name and pool only when given."""
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        *([f"--pool={pool}"] if pool else []),
        "--without-gossip",
        "--without-mingle",
        *([f"--queues={queues}"] if queues else []),
        *(["-n", name] if name else []),
    ]


# --- liveness: does the worker still consume from the broker? ------------------------------


def worker_answers(node: str, *, timeout: float = 5.0) -> bool | None:
    """Ping one worker through the broker (``celery inspect ping -d node``): True when it
    answers, False when the broker is reachable and the worker does not, None when the
    broker itself cannot be reached (restarting the worker would not help then).

    The worker answers from the same connection it consumes tasks on, so an answer means
    it still consumes; a worker left behind by a broker restart (celery/kombu 5.7,
    docs/reliability.md) stops answering."""
    with app.connection_for_write() as conn:
        try:
            conn.ensure_connection(max_retries=1, timeout=timeout)
        except Exception:  # any failure to connect means "broker down"
            return None
        try:
            replies = app.control.ping(destination=[node], timeout=timeout, connection=conn)
        except Exception:  # lost between connect and ping: "broker down"
            return None
    return any(node in reply for reply in replies)


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM it (warm shutdown) when the supervisor dies, so a
    supervisor killed outright leaves no worker behind (Linux ``PR_SET_PDEATHSIG``)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


class WorkerSupervisor:
    """Runs one Celery worker and keeps it consuming: restarts it when it exits (an
    "Unrecoverable error" after a broker restart) or when it stops answering pings while
    the broker answers (``misses`` checks in a row, ``interval`` seconds apart, once it has
    answered since it started, or ``start_grace`` seconds after its start if it never
    did). SIGTERM / SIGINT are forwarded once (Celery's warm shutdown) and end the loop."""

    def __init__(
        self,
        argv: list[str],
        *,
        node: str,
        interval: float = 10.0,
        misses: int = 3,
        timeout: float = 5.0,
        start_grace: float = 180.0,
        stop_timeout: float = 30.0,
        log=print,
    ) -> None:
        self.argv, self.node, self.log = argv, node, log
        self.interval, self.misses, self.timeout = interval, misses, timeout
        self.start_grace, self.stop_timeout = start_grace, stop_timeout
        self.child: subprocess.Popen | None = None
        self.stopping = False
        self.restarts = 0

    def stop(self, signum=None, frame=None) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)

    def _start(self) -> subprocess.Popen:
        # its own session: honcho's SIGTERM to our group reaches us only, and we forward one
        return subprocess.Popen(  # noqa: S603 - fixed argv
            self.argv, start_new_session=True, preexec_fn=_die_with_parent
        )

    def _replace(self, child: subprocess.Popen, why: str) -> None:
        self.log(f"run_worker: {self.node} {why}; restarting it")
        child.send_signal(signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):
            os.kill(child.pid, signal.SIGCONT)  # a stopped process acts on the SIGTERM too
        try:
            child.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)  # the worker and its pool
            child.wait()

    def _watch(self, child: subprocess.Popen) -> None:
        """Return when the child has exited, or was replaced for not answering."""
        started = time.monotonic()
        answered, missed = False, 0
        while not self.stopping:
            try:
                child.wait(self.interval)
                return
            except subprocess.TimeoutExpired:
                pass
            if self.stopping:
                return
            state = worker_answers(self.node, timeout=self.timeout)
            if state:
                if not answered:
                    self.log(f"run_worker: {self.node} answers pings (consuming)")
                answered, missed = True, 0
            elif state is False and (answered or time.monotonic() - started > self.start_grace):
                missed += 1
                if missed >= self.misses:
                    self._replace(child, f"did not answer {missed} pings (not consuming)")
                    return

    def run(self) -> int:
        backoff = 1.0
        while True:
            self.child = child = self._start()
            started = time.monotonic()
            self._watch(child)
            if self.stopping:
                return child.wait()
            code = child.poll()
            if code is not None and time.monotonic() - started > 60:
                backoff = 1.0  # it ran a while: not a crash loop
            self.restarts += 1
            self.log(f"run_worker: {self.node} ended (exit {code}); starting it in {backoff:.0f} s")
            time.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            if self.stopping:
                return code or 0
