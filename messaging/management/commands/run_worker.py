"""Run a Celery worker for the Procfile, shutting down gracefully.

honcho sends SIGTERM to the whole process group and force-kills after a few seconds,
which would kill running tasks (DESIGN: pitfalls). The worker here runs in its own
session (process group), so only this wrapper gets honcho's signal; it forwards one
SIGTERM to the worker (Celery's warm shutdown: finish running tasks, take no new ones)
and waits for it. With acks_late, a task cut off anyway is redelivered, and the recovery
beat re-kicks its number.
"""

import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand

from messaging.workers import worker_argv


class Command(BaseCommand):
    help = "Run a Celery worker (graceful shutdown on SIGTERM / SIGINT)."

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

    def handle(self, *args, concurrency, loglevel, pool, queues, **options):
        cmd = worker_argv(concurrency=concurrency, loglevel=loglevel, pool=pool, queues=queues)
        child = subprocess.Popen(cmd, start_new_session=True)  # noqa: S603 - fixed argv

        def forward(signum, frame):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        sys.exit(child.wait())
