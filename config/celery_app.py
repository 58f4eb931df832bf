"""The Celery app. Beat's schedule lives in settings (CELERY_BEAT_SCHEDULE)."""

import logging

from celery import Celery, signals
from kombu.transport import TRANSPORT_ALIASES

# No default settings module here: importing this package (config.wsgi and config.asgi do) must
# not choose one for them. manage.py defaults to local, config.wsgi and config.asgi to
# production, and `celery -A config ...` is told (the Procfile's beat says local; a deployment
# sets DJANGO_SETTINGS_MODULE) or fails for want of settings.

# kombu's filesystem transport as shipped can lose messages (a worker may read a file
# before it is fully written, kombu#1551); ours writes to a temporary name and renames.
TRANSPORT_ALIASES.setdefault("safefs", "config.kombu_fs:Transport")

app = Celery("contactyourclient")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
def _quiet_task_lines(logger, loglevel, **kwargs):
    """No "Task … received" / "succeeded" line per task below DEBUG: beat's housekeeping
    runs every 2-5 s and the send path at hundreds a second, so those lines drowned the
    log. Failures and retries still log (at WARNING and ERROR)."""
    if loglevel > logging.DEBUG:
        for name in ("celery.app.trace", "celery.worker.strategy"):
            logging.getLogger(name).setLevel(logging.WARNING)
