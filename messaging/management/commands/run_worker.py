"""Run a Celery worker for the Procfile: kept consuming, shut down gracefully.

The worker is a child process that ``messaging.workers.WorkerSupervisor`` watches: it is
started again when it exits (with celery/kombu 5.7 a broker restart can end it with
"Unrecoverable error") and replaced when it stops answering pings through the broker while
the broker answers (a worker left behind by a broker restart that never consumes again);
docs/reliability.md. The liveness knobs: ``--liveness-interval`` seconds between pings,
``--liveness-misses`` unanswered pings in a row (environment WORKER_LIVENESS_INTERVAL,
WORKER_LIVENESS_MISSES).

honcho sends SIGTERM to the whole process group and force-kills after a few seconds,
which would kill running tasks (DESIGN: pitfalls). The worker runs in its own session
(process group), so only this wrapper gets honcho's signal; it forwards one SIGTERM to the
worker (Celery's warm shutdown: finish running tasks, take no new ones) and waits for it.
With acks_late, a task cut off anyway is redelivered, and the recovery beat re-kicks its
number. If this wrapper is killed outright, the worker gets SIGTERM too (it dies with us).
"""

import os
import signal
import socket
import sys

from django.core.management.base import BaseCommand

from messaging.workers import WorkerSupervisor, worker_argv


class Command(BaseCommand):
    help = "Run a Celery worker, restarted when it stops consuming (graceful shutdown on SIGTERM)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "2"))
        )
        parser.add_argument("--loglevel", default="INFO")
        parser.add_argument("--pool", default="prefork")
        parser.add_argument(
            "--queues",
            default="",
            help="comma-separated queues (default: all of CELERY_TASK_QUEUES, urgent first)",
        )
        parser.add_argument(
            "--name", default="", help="the worker's node name (default: worker-<pid>@<host>)"
        )
        parser.add_argument(
            "--liveness-interval",
            type=float,
            default=float(os.environ.get("WORKER_LIVENESS_INTERVAL", "10")),
        )
        parser.add_argument(
            "--liveness-misses",
            type=int,
            default=int(os.environ.get("WORKER_LIVENESS_MISSES", "3")),
        )

    def handle(self, *args, concurrency, loglevel, pool, queues, name, **options):
        node = name or f"worker-{os.getpid()}@{socket.gethostname()}"
        supervisor = WorkerSupervisor(
            worker_argv(
                concurrency=concurrency, loglevel=loglevel, pool=pool, queues=queues, name=node
            ),
            node=node,
            interval=options["liveness_interval"],
            misses=options["liveness_misses"],
            log=lambda line: self.stderr.write(line),
        )
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        sys.exit(supervisor.run())
