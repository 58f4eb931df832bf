"""Settings of the Celery worker that test_webhooks starts: the test database, loopback
receivers allowed, short retry delays."""

import os

from config.settings.test import *  # noqa: F403
from config.settings.test import DATABASES

DATABASES["default"]["NAME"] = os.environ["WORKER_DB_NAME"]
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_RETRY_BASE = 0.5
# The test's own queue, for the retries this worker schedules too.
CELERY_TASK_ROUTES = {"events.webhooks.*": {"queue": os.environ["WORKER_QUEUE"]}}
