"""Local development: the embedded defaults (SQLite, server-less broker, simulated carrier)."""

from .base import *
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-not-secret-3f9a1c2e7b")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Development tools (benchmarks, load generators, the simulated carrier): local and test
# settings install them, production never does (devtools/README.md).
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
