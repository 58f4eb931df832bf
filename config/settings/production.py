"""Production: every secret from the environment, no defaults; HTTPS everywhere."""

from .base import *
from .base import DATABASE_OPTIONS, LOGGING, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).update(DATABASE_OPTIONS)
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Opt-out suppression hashes must survive a SECRET_KEY rotation: their key is its own.
CONSENT_SUPPRESSION_KEY = env("CONSENT_SUPPRESSION_KEY")
# The Prometheus scraper's bearer token for /metrics (staff may read it signed in).
METRICS_TOKEN = env("METRICS_TOKEN")
MESSAGING_PROVIDER = env("MESSAGING_PROVIDER", default="twilio")
if MESSAGING_PROVIDER == "twilio":
    TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID")
    TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN")
else:
    CARRIER_WEBHOOK_SECRET = env("CARRIER_WEBHOOK_SECRET")

# Never reach our own network from a URL someone gave us, whatever the environment says:
# media (messaging/media/fetch.py), tenants' webhooks (accounts/outbound.py), calendar feeds.
MEDIA_FETCH_ALLOW_PRIVATE = False
WEBHOOK_ALLOW_PRIVATE_TARGETS = False
REMINDERS_FEED_ALLOW_PRIVATE = False
# Billing's payment processor: real keys, no defaults (STRIPE_API_BASE stays empty: Stripe).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
