"""Local development: the embedded defaults (PostgreSQL from a wheel, server-less broker,
simulated carrier)."""

from config import embedded_pg

from .base import *
from .base import DATABASE_URL, DATABASES, VAR_DIR, env

if not DATABASE_URL:
    DATABASES["default"].update(embedded_pg.database())
# `seed_demo` keeps the demo API key's secret here to print it again (never committed)
DEMO_API_KEY_FILE = env("DEMO_API_KEY_FILE", default=str(VAR_DIR / "demo-api-key"))

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-only-not-secret-3f9a1c2e7b")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Development tools (benchmarks, load generators, the simulated carrier): local and test
# settings install them, production never does (devtools/README.md).
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]
# The simulated carrier serves clients' pictures on loopback.
MEDIA_FETCH_ALLOW_PRIVATE = True
