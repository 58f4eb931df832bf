"""Issue 18, finding 8: the Procfile's worker (``manage.py run_worker``) keeps consuming by
itself. A real worker under the real supervisor, on this suite's broker: when the worker
process dies it is started again; when it stops answering pings through the broker (here:
SIGSTOP, what a worker left behind by a broker restart looks like from outside) it is
replaced. Each time the new worker answers a ping (``worker_answers``), i.e. consumes.
The broker restart itself is the fault stage's ``test_broker_restart_mid_broadcast``."""

import os
import re
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from messaging.workers import worker_answers
from tests.messaging.conftest import Proc, worker_env

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, timeout: float, what: str, proc: Proc) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout} s:\n{proc.log.read_text()[-3000:]}")


def _child_pid(proc: Proc) -> int:
    """The worker's pid: the supervisor's only child in its own session (its pool's parent)."""
    pid = proc.proc.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


def test_run_worker_restarts_a_worker_that_exits_or_stops_answering(tmp_path):
    node = f"sup-{os.getpid()}@{socket.gethostname()}"
    cmd = [
        *(sys.executable, "manage.py", "run_worker", "--concurrency=1", "--name", node),
        *("--liveness-interval", "1", "--liveness-misses", "2"),
    ]
    proc = Proc("run_worker", cmd, worker_env(), tmp_path / "run_worker.log")
    try:
        proc.wait_for("answers pings (consuming)", 180)
        assert worker_answers(node, timeout=2)
        first = _child_pid(proc)

        os.killpg(first, signal.SIGKILL)  # the worker and its pool die at once
        _wait(lambda: "ended (exit -9)" in proc.log.read_text(), 30, "exit noticed", proc)
        _wait(lambda: proc.log.read_text().count("(consuming)") == 2, 180, "restarted", proc)
        assert worker_answers(node, timeout=2)
        second = _child_pid(proc)
        assert second != first

        os.kill(second, signal.SIGSTOP)  # up, but consuming nothing
        assert worker_answers(node, timeout=2) is False
        _wait(lambda: "did not answer 2 pings" in proc.log.read_text(), 60, "replaced", proc)
        _wait(lambda: proc.log.read_text().count("(consuming)") == 3, 180, "started again", proc)
        assert worker_answers(node, timeout=2)
        assert _child_pid(proc) not in (first, second)
        assert len(re.findall(r"run_worker: \S+ ended", proc.log.read_text())) == 2
        assert proc.proc.poll() is None  # the supervisor itself never stopped

        # SIGTERM to the supervisor: forwarded once, warm shutdown, the supervisor exits
        os.killpg(proc.proc.pid, signal.SIGTERM)
        assert proc.proc.wait(60) == 0
        assert worker_answers(node, timeout=2) is False
    finally:
        proc.stop()
