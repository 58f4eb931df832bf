"""The Celery app. Beat's schedule lives in settings (CELERY_BEAT_SCHEDULE)."""

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# kombu's filesystem transport as shipped can lose messages (a worker may read a file
# before it is fully written, kombu#1551); ours writes to a temporary name and renames.
TRANSPORT_ALIASES.setdefault("safefs", "config.kombu_fs:Transport")

app = Celery("contactyourclient")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
