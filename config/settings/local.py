"""Local development: the embedded defaults (PostgreSQL from a wheel, server-less broker,
simulated carrier)."""

from config import embedded_pg

from .base import *
from .base import DATABASE_URL, DATABASES, VAR_DIR, WEB_PORT, env

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

# The simulated payment processor (devtools/processor.py, `manage.py run_processor`): the
# official stripe library is pointed at it; its keys are fixed and only mean anything to it.
PROCESSOR_PORT = env.int("PROCESSOR_PORT", default=WEB_PORT + 26)
STRIPE_API_BASE = env("STRIPE_API_BASE", default=f"http://127.0.0.1:{PROCESSOR_PORT}").rstrip("/")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_simulated_local")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_simulated_local")
