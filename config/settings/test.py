"""Test settings: PostgreSQL (DATABASE_URL or the embedded server), Redis when reachable."""

import os

from config import embedded_pg

from .base import *
from .base import DATABASE_URL, DATABASES, STORAGES, VAR_DIR, WEB_PORT, env

# The suite runs the policy engine as pure Python, so that coverage sees its lines (this runs
# before the engine is first imported, and the processes the tests start inherit it); the
# compiled build is checked against it byte for byte by tests/policies/test_accel.py.
os.environ.setdefault("POLICY_ENGINE", "python")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="test-only-not-secret-9d2c4b1a")
DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "mms": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "test-media")},
    },
}
# The tests' servers (the simulated carrier, stand-ins) listen on loopback.
MEDIA_FETCH_ALLOW_PRIVATE = True

# --- services: PostgreSQL always; Redis when reachable ------------------------------------
# REQUIRE_SERVICES=1 (set by .ci/run) turns an unreachable Redis into a failure instead of a
# fallback to local memory, so CI can never silently skip it.
import socket  # noqa: E402
from urllib.parse import urlparse  # noqa: E402

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


if not DATABASE_URL:
    DATABASES["default"].update(embedded_pg.database())
DATABASES["default"]["CONN_MAX_AGE"] = 0
DEMO_API_KEY_FILE = str(VAR_DIR / "test-demo-api-key")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
if _reachable(REDIS_URL, 6379):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="cyc-test"),
        }
    }
elif REQUIRE_SERVICES:
    raise ImproperlyConfigured(f"Redis is required but not reachable at {REDIS_URL}")
else:
    REDIS_URL = ""
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Development tools (benchmarks, load generators, the simulated carrier): local and test
# settings install them, production never does (devtools/README.md).
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]

# Domain checks (campaigns.domains) never reach the internet from tests: the resolver asks a
# closed loopback port unless a test points it at its own DNS stub.
DOMAINS_DNS_NAMESERVERS = ["127.0.0.1"]
DOMAINS_DNS_PORT = 9
DOMAINS_TIMEOUT = 1.0

# The simulated payment processor (devtools/processor.py, `manage.py run_processor`): the
# official stripe library is pointed at it; its keys are fixed and only mean anything to it.
PROCESSOR_PORT = env.int("PROCESSOR_PORT", default=WEB_PORT + 26)
STRIPE_API_BASE = env("STRIPE_API_BASE", default=f"http://127.0.0.1:{PROCESSOR_PORT}").rstrip("/")
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="sk_test_simulated_test")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="whsec_simulated_test")
