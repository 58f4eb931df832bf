"""The one command line that starts a Celery worker: the Procfile's wrapper (run_worker),
the send-path benchmark and the tests that run real workers all build it here."""

import sys


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
