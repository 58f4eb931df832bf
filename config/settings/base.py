"""Settings shared by every environment, read from one django-environ Env."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
env.read_env(str(BASE_DIR / ".env"), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The local stack's addresses, from one place: `make run` exports WEB_PORT (its PORT) and
# every process (web, workers, beat, carrier) derives the rest from it here. Nothing reads
# PORT: honcho gives each process a PORT of its own.
WEB_PORT = env.int("WEB_PORT", default=8000)
CARRIER_PORT = env.int("CARRIER_PORT", default=WEB_PORT + 25)
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{WEB_PORT}").rstrip("/")

# --- apps -------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "django_otp",
    # django-otp's device apps, with names the admin can show (accounts/security/otp_apps.py)
    "accounts.security.otp_apps.TotpDevicesConfig",
    "accounts.security.otp_apps.StaticDevicesConfig",
    "axes",
]
LOCAL_APPS = [
    # In layer order (DESIGN.md): the tenant base, its sub-apps (the portal shell's
    # registries, privacy, the public site; none knows a feature), then the features.
    "accounts",
    "accounts.portal",
    "accounts.privacy",
    "accounts.public",
    "accounts.events",  # events to tenants' webhooks: every app emits (accounts/events/README.md)
    "policies",
    "campaigns",
    "campaigns.domains",  # verified link domains (campaigns/domains/README.md)
    "consent",
    "consent.audiences",  # typed contact fields and saved segments (consent/audiences/README.md)
    "messaging",
    "messaging.twilio_api",  # the Twilio-compatible API (messaging/twilio_api/README.md)
    "messaging.templating",  # message templates with merge fields (messaging/templating/README.md)
    "messaging.reminders",  # appointment reminders (messaging/reminders/README.md)
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "config.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.CurrentBusinessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    # last: axes needs the response of a failed login to count it
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.portal.context_processors.tenant",
                "accounts.billing.context_processors.billing_notice",  # overdue / paused banner
            ],
        },
    },
]

# --- data -------------------------------------------------------------------
# PostgreSQL only (one SQL dialect). DATABASE_URL when set; otherwise local and test
# settings use the embedded server (config/embedded_pg.py) and production refuses to start.
DATABASE_URL = env("DATABASE_URL", default="")
DATABASES = {"default": env.db_url_config(DATABASE_URL) if DATABASE_URL else {}}
if DATABASE_URL and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
# Persistent connections: a new connection per request costs 4-7x throughput here.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parameters bound by the server and statements prepared once a connection has run them 5
# times (psycopg 3): PostgreSQL parses and plans the hot paths' statements once per
# connection, not per request (bench_load: about 0.8 ms of database CPU of a send, 1.7 ms of
# an opt-in; docs/reliability.md). Behind pgbouncer in transaction mode it needs
# pgbouncer >= 1.21 with max_prepared_statements set, or DATABASE_PREPARE_THRESHOLD=0 to
# prepare nothing (docs/deploy.md).
DATABASE_OPTIONS: dict = {}
if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
    DATABASE_OPTIONS = {
        "server_side_binding": True,
        "prepare_threshold": env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None,
    }
DATABASES["default"].setdefault("OPTIONS", {}).update(DATABASE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="cyc"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- auth -------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # login brute-force lockout first
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a (email, IP) pair out after 5 failed logins for 15 minutes; the lockout and
# every attempt are visible to staff in the admin (django-axes' database handler).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Staff sign in to the admin with a second factor (TOTP); see config/urls.py.
OTP_TOTP_ISSUER = "Contact Your Client"
INVITATION_TTL = timedelta(days=env.int("INVITATION_TTL_DAYS", default=7))

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "US"
PHONENUMBER_DB_FORMAT = "E164"

# --- static -----------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- email ------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Contact Your Client <no-reply@localhost>")

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.api.permissions.HasBusinessRole"],
    "DEFAULT_PAGINATION_CLASS": "accounts.api.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_THROTTLE_RATE", default="6000/min")},
    "EXCEPTION_HANDLER": "accounts.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "accounts.api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "Contact Your Client API",
    "DESCRIPTION": (
        "Send compliant business texts. Authenticate with `Authorization: Bearer <api key>`. "
        'Every error has one shape: `{"error": {"code", "message", "fields", "detail"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"ApiKey": []}],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.api.schema.add_error_responses",
        "accounts.events.openapi.add_webhooks",  # every event type, from the catalog
    ],
    # 3.1: the first version with a "webhooks" section (the events we POST to tenants)
    "OAS_VERSION": "3.1.0",
}

# --- Celery -----------------------------------------------------------------
# Default broker needs no server: kombu's filesystem transport with atomic writes
# (config.kombu_fs); Redis or RabbitMQ when CELERY_BROKER_URL says so.
# (a hostname, though the transport needs none: kombu warns at every start without one)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="safefs://localhost/")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(VAR_DIR / "broker" / "out"),
    "data_folder_out": str(VAR_DIR / "broker" / "out"),
    "processed_folder": str(VAR_DIR / "broker" / "processed"),
    "control_folder": str(VAR_DIR / "broker" / "control"),
    "store_processed": False,
    # Redis: a worker consuming several queues asks them in the order of CELERY_TASK_QUEUES
    # (the urgent one first) instead of rotating.
    "queue_order_strategy": "priority",
}
# Two queues. "messaging.urgent" carries the kick of a single send on a number with no
# drain expected (an API send, a reply, a STOP confirmation); "celery" everything else,
# including the drains of bulk backlogs and their timed continuations. A worker started
# without -Q consumes both (urgent first); production runs one small worker on the urgent
# queue alone, so a single send never waits behind bulk drains (messaging/README.md).
MESSAGING_URGENT_QUEUE = "messaging.urgent"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue(MESSAGING_URGENT_QUEUE, routing_key=MESSAGING_URGENT_QUEUE),
    Queue("celery", routing_key="celery"),
)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # Each app adds its own entries below, one commented line each.
}

# --- product settings -------------------------------------------------------
MESSAGING_RATE_LIMIT = env.int("MESSAGING_RATE_LIMIT", default=50)
MESSAGING_RATE_WINDOW = env.float("MESSAGING_RATE_WINDOW", default=60.0)

# Structured logs: LOG_FORMAT=json gives one JSON object per line with request_id (and
# message_id where the send path knows it); plain is for reading in a terminal.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "config.observability.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.observability.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env("LOG_FORMAT", default="plain"),
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

_ = crontab  # the beat schedule entries use crontab

# --- messaging ---
# Provider: "simulated" (the embedded carrier, `manage.py run_carrier`) or "twilio".
MESSAGING_PROVIDER = env("MESSAGING_PROVIDER", default="simulated")
# /metrics (docs/deploy.md): the scraper's bearer token (empty: staff only, 404 to others;
# production requires one) and how many of the busiest numbers get per-number series.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_TOP_NUMBERS = env.int("METRICS_TOP_NUMBERS", default=200)
CARRIER_URL = env("CARRIER_URL", default=f"http://127.0.0.1:{CARRIER_PORT}").rstrip("/")
# messages per POST /v1/messages/batch to the simulated carrier (1 = one request each)
CARRIER_BATCH_SIZE = env.int("CARRIER_BATCH_SIZE", default=100)
CARRIER_AUDIT_LOG = env("CARRIER_AUDIT_LOG", default=str(VAR_DIR / "carrier-audit.jsonl"))
# Shared HMAC secret of the simulated carrier's webhooks; derived from SECRET_KEY when unset
# (production has no SECRET_KEY default, so there is no production default here either).
CARRIER_WEBHOOK_SECRET = env("CARRIER_WEBHOOK_SECRET", default="")
# Where the carrier posts delivery receipts and inbound texts (our public base URL).
MESSAGING_WEBHOOK_BASE_URL = env("MESSAGING_WEBHOOK_BASE_URL", default=SITE_URL).rstrip("/")
MESSAGING_STATUS_CALLBACKS = env.bool("MESSAGING_STATUS_CALLBACKS", default=True)
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", default="")
TWILIO_API_BASE_URL = env("TWILIO_API_BASE_URL", default="")  # tests: a local server
MESSAGING_SEND_TIMEOUT = env.float("MESSAGING_SEND_TIMEOUT", default=10.0)  # per request
MESSAGING_SLOT_MARGIN = env.float("MESSAGING_SLOT_MARGIN", default=0.05)  # clock skew, s
# The carriers' own limits beside the number cap (messaging README): AT&T's per campaign in
# the same sliding window, T-Mobile's per brand per day (campaigns/data/carrier_limits.json).
MESSAGING_CARRIER_LIMITS = env.bool("MESSAGING_CARRIER_LIMITS", default=True)
# Length of the daily cap's period in seconds; 0 = the calendar day in Pacific time, as
# T-Mobile counts it (benchmarks shorten it: they cannot wait a day).
MESSAGING_BRAND_PERIOD = env.float("MESSAGING_BRAND_PERIOD", default=0.0)
MESSAGING_MAX_ATTEMPTS = env.int("MESSAGING_MAX_ATTEMPTS", default=5)
MESSAGING_RETRY_BASE = env.float("MESSAGING_RETRY_BASE", default=2.0)
MESSAGING_RETRY_CAP = env.float("MESSAGING_RETRY_CAP", default=300.0)
MESSAGING_VALIDITY_HOURS = env.float("MESSAGING_VALIDITY_HOURS", default=24.0)
# A reply without consent must answer the contact's own text within this (messaging README).
MESSAGING_REPLY_WINDOW_HOURS = env.float("MESSAGING_REPLY_WINDOW_HOURS", default=24.0)
MESSAGING_BATCH_MAX = env.int("MESSAGING_BATCH_MAX", default=100)
MESSAGING_IN_FLIGHT = env.int("MESSAGING_IN_FLIGHT", default=64)
MESSAGING_RECOVERY_GRACE = env.float("MESSAGING_RECOVERY_GRACE", default=15.0)
MESSAGING_ETA_HORIZON = env.float("MESSAGING_ETA_HORIZON", default=300.0)
CELERY_BEAT_SCHEDULE["messaging-recover"] = {  # re-kick lanes whose drainer died; release due
    "task": "messaging.tasks.recover",
    "schedule": 5.0,
}
CELERY_BEAT_SCHEDULE["messaging-apply-status"] = {  # apply stored delivery receipts in batches
    "task": "messaging.tasks.apply_status_callbacks",
    "schedule": 2.0,
}
CELERY_BEAT_SCHEDULE["reminders-send-due"] = {  # appointment reminders whose time has come
    "task": "messaging.reminders.tasks.send_due",
    "schedule": 30.0,
}
CELERY_BEAT_SCHEDULE["reminders-poll-feeds"] = {  # businesses' iCalendar feeds, each per interval
    "task": "messaging.reminders.tasks.poll_feeds",
    "schedule": 60.0,
}
# --- appointment reminders (messaging/reminders/README.md) ---
REMINDERS_FEED_INTERVAL = env.int("REMINDERS_FEED_INTERVAL", default=900)  # s between polls
REMINDERS_FEED_TIMEOUT = env.float("REMINDERS_FEED_TIMEOUT", default=10.0)
REMINDERS_FEED_MAX_BYTES = env.int("REMINDERS_FEED_MAX_BYTES", default=2 * 1024 * 1024)
# fetch feeds on private addresses (loopback stand-ins in tests); never in production
REMINDERS_FEED_ALLOW_PRIVATE = env.bool("REMINDERS_FEED_ALLOW_PRIVATE", default=DEBUG)
REMINDERS_CSV_MAX_BYTES = env.int("REMINDERS_CSV_MAX_BYTES", default=2 * 1024 * 1024)

# --- accounts.privacy (cookie consent, usage log, retention; docs/privacy.md) ---
COOKIE_POLICY_VERSION = env("COOKIE_POLICY_VERSION", default="2026-11-28")  # new: ask again
COOKIE_CONSENT_COOKIE_NAME = env("COOKIE_CONSENT_COOKIE_NAME", default="cyc_cookie_consent")
COOKIE_CONSENT_MAX_AGE_DAYS = env.int("COOKIE_CONSENT_MAX_AGE_DAYS", default=180)
# Outermost, so it sees every cookie any layer sets and drops those not consented to.
MIDDLEWARE.insert(0, "accounts.privacy.cookies.CookieGateMiddleware")
# First of all: a request to a lean view (the send API, the public form's submit) runs only
# the middleware a request no session or cookie authenticates needs, i.e. MIDDLEWARE less
# these (accounts/api/chain.py).
MIDDLEWARE.insert(0, "accounts.api.chain.LeanChainMiddleware")
API_LEAN_SKIP_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.CurrentBusinessMiddleware",
    "accounts.security.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.privacy.middleware.UsageLogMiddleware",
    "policies.governance_views.PolicyNoticeMiddleware",
]
MIDDLEWARE.append("accounts.privacy.middleware.UsageLogMiddleware")
USAGE_LOG_SKIP_PREFIXES = ("/admin/", "/static/", "/api/")
RETENTION_MESSAGE_BODY_DAYS = env.int("RETENTION_MESSAGE_BODY_DAYS", default=180)
RETENTION_USAGE_LOG_DAYS = env.int("RETENTION_USAGE_LOG_DAYS", default=90)
# At least 5 (FTC TSR recordkeeping); accounts.privacy.retention refuses lower, and so do checks.
RETENTION_CONSENT_YEARS = env.int("RETENTION_CONSENT_YEARS", default=5)
# A closed business's own data is anonymised after this (5 years: the TSR record period).
RETENTION_CLOSED_BUSINESS_DAYS = env.int("RETENTION_CLOSED_BUSINESS_DAYS", default=1826)
# Raw CSV of finished imports; outbound webhook deliveries once final; visitors' requests
# once closed; django-axes' sign-in records (docs/privacy.md, "Every copy of personal data").
RETENTION_IMPORT_FILE_DAYS = env.int("RETENTION_IMPORT_FILE_DAYS", default=30)
RETENTION_WEBHOOK_DELIVERY_DAYS = env.int("RETENTION_WEBHOOK_DELIVERY_DAYS", default=30)
RETENTION_VISITOR_REQUEST_DAYS = env.int("RETENTION_VISITOR_REQUEST_DAYS", default=365)
RETENTION_SIGNIN_LOG_DAYS = env.int("RETENTION_SIGNIN_LOG_DAYS", default=90)
CELERY_BEAT_SCHEDULE["privacy-retention"] = {  # daily retention run: every registered rule
    "task": "accounts.tasks.retention_run_task",
    "schedule": crontab(hour=3, minute=17),
}

# --- campaigns ---
# Where brands and campaigns are registered: "manual" (our staff review in the admin) or
# "tcr" (a CSP's 10DLC API at CAMPAIGNS_TCR_URL).
CAMPAIGNS_REGISTRAR = env("CAMPAIGNS_REGISTRAR", default="manual")
CAMPAIGNS_TCR_URL = env("CAMPAIGNS_TCR_URL", default="")
CAMPAIGNS_TCR_API_KEY = env("CAMPAIGNS_TCR_API_KEY", default="")
CAMPAIGNS_TCR_WEBHOOK_SECRET = env("CAMPAIGNS_TCR_WEBHOOK_SECRET", default="")
CAMPAIGNS_TCR_WEBHOOK_URL = env("CAMPAIGNS_TCR_WEBHOOK_URL", default="")
CAMPAIGNS_TCR_TIMEOUT = env.float("CAMPAIGNS_TCR_TIMEOUT", default=15.0)
CELERY_BEAT_SCHEDULE["campaigns-poll-registry"] = {  # poll the 10DLC registry for status
    "task": "campaigns.tasks.campaigns_poll_registry",
    "schedule": 300.0,
}

# --- consent ---
# Key of the suppression hash (HMAC of business + phone). Set it in production; without it a
# key is derived from SECRET_KEY (changing either makes old suppressions unmatchable).
CONSENT_SUPPRESSION_KEY = env("CONSENT_SUPPRESSION_KEY", default="")
CONSENT_FORM_TOKEN_MAX_AGE = env.int("CONSENT_FORM_TOKEN_MAX_AGE", default=2 * 3600)  # seconds
CONSENT_FORM_RATE_PER_IP = env("CONSENT_FORM_RATE_PER_IP", default="10/600")  # count/seconds
CONSENT_FORM_RATE_PER_PHONE = env("CONSENT_FORM_RATE_PER_PHONE", default="3/3600")
CONSENT_IMPORT_MAX_BYTES = env.int("CONSENT_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
CONSENT_IMPORT_SYNC_ROWS = env.int("CONSENT_IMPORT_SYNC_ROWS", default=2000)  # above: Celery
# HMAC key of the ledger's signed chain-head checkpoints (consent/services/checkpoints.py);
# empty: derived from SECRET_KEY. Keep it out of the database's reach.
CONSENT_CHECKPOINT_KEY = env("CONSENT_CHECKPOINT_KEY", default="")
CELERY_BEAT_SCHEDULE["consent-checkpoint"] = {  # sign each grown ledger's head (consent_verify)
    "task": "consent.tasks.consent_ledger_checkpoint",
    "schedule": 300.0,
}

# --- policies ---
POLICY_RULES_TTL = env.float("POLICY_RULES_TTL", default=5.0)  # seconds between rule checks
POLICY_SNOWSHOE_WINDOW_MINUTES = env.int("POLICY_SNOWSHOE_WINDOW_MINUTES", default=60)
POLICY_SNOWSHOE_NUMBERS = env.int("POLICY_SNOWSHOE_NUMBERS", default=3)  # distinct numbers: block
POLICY_SNOWSHOE_HAMMING = env.int("POLICY_SNOWSHOE_HAMMING", default=6)  # "near-same" (of 64 bits)
POLICY_SNOWSHOE_MIN_WORDS = env.int("POLICY_SNOWSHOE_MIN_WORDS", default=6)
POLICY_RISK_WINDOW_DAYS = env.int("POLICY_RISK_WINDOW_DAYS", default=7)
POLICY_RISK_MIN_SENT = env.int("POLICY_RISK_MIN_SENT", default=50)  # no rates below this volume
POLICY_OPT_OUT_RATE = env.float("POLICY_OPT_OUT_RATE", default=0.05)
POLICY_STOP_AFTER_FIRST_RATE = env.float("POLICY_STOP_AFTER_FIRST_RATE", default=0.02)
POLICY_CARRIER_FILTERED_RATE = env.float("POLICY_CARRIER_FILTERED_RATE", default=0.02)
POLICY_BLOCKED_RATE = env.float("POLICY_BLOCKED_RATE", default=0.10)
POLICY_STRIKES_HOLD = env.int("POLICY_STRIKES_HOLD", default=2)  # active strikes: hold sending
POLICY_STRIKES_SUSPEND = env.int("POLICY_STRIKES_SUSPEND", default=3)  # active strikes: suspend
# --- governance (policies: documents, penalties) ---
# A banner on portal pages until a member accepts new policy versions (policies/governance_views.py)
MIDDLEWARE.append("policies.governance_views.PolicyNoticeMiddleware")

# --- messaging interfaces (API, portal, outbound tenant webhooks) ---
# One OpenAPI name per "kind" choice set (messages have four kinds, consent scopes two).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    **SPECTACULAR_SETTINGS.get("ENUM_NAME_OVERRIDES", {}),
    "MessageKindEnum": "messaging.api.schema.MESSAGE_KINDS",
    "ConsentKindEnum": "messaging.api.schema.CONSENT_KINDS",
}
# Stored answers to API create requests made with an Idempotency-Key (accounts.api.idempotency)
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BASE = env.float("WEBHOOK_RETRY_BASE", default=30.0)  # s; doubles per attempt
WEBHOOK_RETRY_CAP = env.float("WEBHOOK_RETRY_CAP", default=3600.0)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# Tenants' URLs must not reach our own network, except in development.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=DEBUG)
# Broadcasts up to this many recipients fan out in the request; larger ones in a task.
MESSAGING_BROADCAST_INLINE_MAX = env.int("MESSAGING_BROADCAST_INLINE_MAX", default=200)
CELERY_BEAT_SCHEDULE["messaging-webhooks-retry"] = {  # re-queue lost webhook deliveries
    "task": "events.webhooks.retry_due",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["twilio-callbacks-retry"] = {  # re-queue lost Twilio-style callbacks
    "task": "twilio_api.callbacks.retry_due",
    "schedule": 60.0,
}

# --- the edge: client IPs, input hygiene, sign-in (issue 18; docs/deploy.md) ---
# Proxies whose X-Forwarded-For we believe (IPs or CIDR networks, e.g. "10.0.0.0/8"); empty:
# none, the peer is the client. accounts.client_ip is the one resolver; axes uses it too.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
AXES_USERNAME_CALLABLE = "accounts.security.lockout.axes_username"  # emails in lower case
# Failed sign-ins from one address across every email, per AXES_COOLOFF_TIME.
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
# Reset emails of the forgotten-password form (accounts.security.views), count/seconds
PASSWORD_RESET_RATE_PER_EMAIL = env("PASSWORD_RESET_RATE_PER_EMAIL", default="3/3600")
PASSWORD_RESET_RATE_PER_IP = env("PASSWORD_RESET_RATE_PER_IP", default="10/3600")
AUTHENTICATION_BACKENDS.insert(1, "accounts.security.lockout.AddressLockoutBackend")  # after axes
# NUL bytes and lone surrogates in any query, form or JSON field: a 400 (accounts/hygiene.py).
# Inside the header middleware, so that its 400 carries X-Frame-Options and the CSP too.
MIDDLEWARE.insert(
    MIDDLEWARE.index("config.middleware.SecurityHeadersMiddleware") + 1,
    "accounts.hygiene.InputHygieneMiddleware",
)
# Business users' second factor (accounts.security): asked after the password when set up,
# set-up demanded when the business requires it.
INSTALLED_APPS.insert(INSTALLED_APPS.index("accounts.portal"), "accounts.security")
MIDDLEWARE.insert(
    MIDDLEWARE.index("accounts.middleware.CurrentBusinessMiddleware") + 1,
    "accounts.security.middleware.SecondFactorMiddleware",
)
# Toll-free numbers as recipients (consent.phones): off, a toll-free line rarely takes texts.
CONSENT_TOLL_FREE_RECIPIENTS = env.bool("CONSENT_TOLL_FREE_RECIPIENTS", default=False)
# A contact's custom fields: how many, and how long each key and value may be.
CONSENT_CUSTOM_FIELDS_MAX = env.int("CONSENT_CUSTOM_FIELDS_MAX", default=50)
CONSENT_CUSTOM_FIELD_KEY_MAX = env.int("CONSENT_CUSTOM_FIELD_KEY_MAX", default=64)
CONSENT_CUSTOM_FIELD_VALUE_MAX = env.int("CONSENT_CUSTOM_FIELD_VALUE_MAX", default=500)

# --- MMS media (messaging.media; messaging/media/README.md) ---
INSTALLED_APPS.insert(INSTALLED_APPS.index("messaging") + 1, "messaging.media")
# Where the files live: a folder under var/ (make run), or S3-compatible object storage
# through django-storages when MEDIA_S3_BUCKET is set (pip install "contactyourclient[s3]").
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET", default="")
if MEDIA_S3_BUCKET:
    _MMS_STORAGE: dict = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("MEDIA_S3_REGION", default="") or None,
            "access_key": env("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env("MEDIA_S3_PREFIX", default="cyc"),
            "default_acl": None,  # the bucket stays private: the product serves the files
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _MMS_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("MEDIA_ROOT_DIR", default=str(VAR_DIR / "media"))},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "mms": _MMS_STORAGE,
}
# Limits, defaulting to the providers' documented ones: Twilio takes up to 10 files and
# 5 MB a message; carriers deliver pictures reliably up to about 500 KB each (larger ones
# are resized and recompressed to fit); what we read of an upload or a URL before that.
MEDIA_MAX_COUNT = env.int("MEDIA_MAX_COUNT", default=10)
MEDIA_MAX_TOTAL_BYTES = env.int("MEDIA_MAX_TOTAL_BYTES", default=5_000_000)
MEDIA_IMAGE_TARGET_BYTES = env.int("MEDIA_IMAGE_TARGET_BYTES", default=500_000)
MEDIA_VCARD_MAX_BYTES = env.int("MEDIA_VCARD_MAX_BYTES", default=600_000)
MEDIA_UPLOAD_MAX_BYTES = env.int("MEDIA_UPLOAD_MAX_BYTES", default=20_000_000)
# The signed URL the carrier fetches a file from: its life (s), and the public base URL.
MEDIA_URL_MAX_AGE = env.int("MEDIA_URL_MAX_AGE", default=3600)
MEDIA_PUBLIC_BASE_URL = env("MEDIA_PUBLIC_BASE_URL", default=MESSAGING_WEBHOOK_BASE_URL).rstrip("/")
# Fetching a URL given to the API or a provider's inbound copy (SSRF-safe, fetch.py).
MEDIA_FETCH_TIMEOUT = env.float("MEDIA_FETCH_TIMEOUT", default=10.0)
# Private, loopback and link-local addresses are never fetched; development and test
# settings turn this on for the servers they run on loopback. Production forces it off.
MEDIA_FETCH_ALLOW_PRIVATE = False
# (The composer's SMS / MMS prices are the business's billing plan: accounts.billing.)
# Files uploaded but never sent are deleted after this (retention).
MEDIA_UNATTACHED_HOURS = env.int("MEDIA_UNATTACHED_HOURS", default=48)
# --- accounts.billing (plans, metering, invoices, payments, dunning; its README.md) ---
INSTALLED_APPS.insert(INSTALLED_APPS.index("accounts.public") + 1, "accounts.billing")
BILLING_DEFAULT_PLAN = env("BILLING_DEFAULT_PLAN", default="standard")  # new accounts' plan
# A failed invoice is retried this many days after each failure (then no more retries).
BILLING_RETRY_DAYS = env.list("BILLING_RETRY_DAYS", default=["1", "3", "5"])
# Past due this long (from the first failed payment) and still unpaid: sending is paused.
BILLING_GRACE_PERIOD = timedelta(hours=env.float("BILLING_GRACE_HOURS", default=7 * 24))
# Invoices, lines and credit notes are tax records: the billed-to name and email are
# anonymised after this many years, the amounts kept (accounts/billing/privacy.py).
BILLING_RETENTION_YEARS = env.int("BILLING_RETENTION_YEARS", default=7)
# Queued messages of a paused (or capped) business wait and are looked at again after this.
BILLING_RECHECK_SECONDS = env.float("BILLING_RECHECK_SECONDS", default=300.0)
# The send path reads standing and cap from the cache (dropped on every change; this bounds
# a missed drop, e.g. a change made by hand in the database).
BILLING_STANDING_CACHE_SECONDS = env.int("BILLING_STANDING_CACHE_SECONDS", default=60)
# The payment processor (Stripe, through the official library). Production requires the keys
# (config/settings/production.py); local and test settings point at the simulated processor.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="").rstrip("/")  # empty: Stripe itself
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)
CELERY_BEAT_SCHEDULE["billing-periods-close"] = {  # issue last month's invoices (1st, early)
    "task": "accounts.billing.tasks.billing_periods_close",
    "schedule": crontab(hour=0, minute=30),
}
CELERY_BEAT_SCHEDULE["billing-release-unsent"] = {  # cap reservations of unsent messages back
    "task": "messaging.tasks.billing_release_unsent",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["billing-report-day"] = {  # numbers held and campaign fees (campaigns)
    "task": "campaigns.tasks.billing_report_day",
    "schedule": crontab(hour=0, minute=10),
}
CELERY_BEAT_SCHEDULE["billing-dunning"] = {  # retry failed payments, pause after the grace
    "task": "accounts.billing.tasks.billing_dunning_run",
    "schedule": crontab(minute=7),
}
