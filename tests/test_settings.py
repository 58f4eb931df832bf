"""Production settings: every secret required, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 30 + "-production-like-secret-for-the-check-only-7f3a9",
    "DJANGO_ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://app@db.example.com:5432/cyc",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    "CONSENT_SUPPRESSION_KEY": "suppression-key",
    "TWILIO_ACCOUNT_SID": "AC00000000000000000000000000000000",
    "TWILIO_AUTH_TOKEN": "token",
    "METRICS_TOKEN": "metrics-token",
    "STRIPE_SECRET_KEY": "sk_live_for_the_check_only",
    "STRIPE_WEBHOOK_SECRET": "whsec_for_the_check_only",
}


def _check(env: dict, *args: str) -> subprocess.CompletedProcess:
    # Nothing of the caller's environment may stand in for a missing secret (CI sets some).
    prefixes = (
        "DJANGO_",
        "DATABASE_",
        "CELERY_",
        "CONSENT_",
        "TWILIO_",
        "MESSAGING_",
        "METRICS_",
        "STRIPE_",
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _check(PRODUCTION_ENV, "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "CONSENT_SUPPRESSION_KEY",
        "TWILIO_AUTH_TOKEN",
        "METRICS_TOKEN",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
    ],
)
def test_production_refuses_to_start_without_each_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _check(env)
    assert result.returncode != 0
    assert missing in result.stderr


def _python(env: dict, code: str) -> subprocess.CompletedProcess:
    """``python -c code`` in the project with only ``env`` of the settings variables."""
    prefixes = (
        "DJANGO_", "DATABASE_", "CELERY_", "CONSENT_", "TWILIO_", "MESSAGING_", "METRICS_",
        "STRIPE_",
    )  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


INSTALLED = "from django.conf import settings; print(' '.join(settings.INSTALLED_APPS))"


def test_production_does_not_install_the_development_tools():
    result = _python(PRODUCTION_ENV, f"import django; django.setup(); {INSTALLED}")
    assert result.returncode == 0, result.stderr
    apps = result.stdout.split()
    assert "messaging" in apps
    assert not [app for app in apps if app.startswith("devtools")]


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_local_and_test_settings_install_them(module):
    # a DATABASE_URL (never connected to here): without one these settings start the
    # embedded PostgreSQL in var/pgdata, which would outlive the test
    env = {"DJANGO_SETTINGS_MODULE": module, "DATABASE_URL": "postgres://postgres@127.0.0.1/x"}
    result = _python(env, INSTALLED)
    assert result.returncode == 0, result.stderr
    assert "devtools" in result.stdout.split()


@pytest.mark.parametrize("entry", ["config.wsgi", "config.asgi"])
def test_the_servers_entry_points_default_to_production(entry):
    """A server started without DJANGO_SETTINGS_MODULE gets production: it refuses to start
    without its secrets, and with them it never runs DEBUG."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = f"import {entry}; from django.conf import settings; "
    code += "print(settings.SETTINGS_MODULE, settings.DEBUG)"
    result = _python(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]
    without_secret = {k: v for k, v in env.items() if k != "DJANGO_SECRET_KEY"}
    result = _python(without_secret, code)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_never_reaches_our_own_network_whatever_the_environment_says():
    # second review: the tenants' webhooks and calendar feeds took their "private addresses
    # allowed" switch from the environment, defaulting to DJANGO_DEBUG — which production
    # reads for these though it forces DEBUG off: DJANGO_DEBUG=1 opened loopback and the
    # cloud metadata address to any tenant's URL
    env = {
        **PRODUCTION_ENV,
        "DJANGO_DEBUG": "1",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS": "1",
        "REMINDERS_FEED_ALLOW_PRIVATE": "1",
    }
    names = [
        "DEBUG",
        "WEBHOOK_ALLOW_PRIVATE_TARGETS",
        "REMINDERS_FEED_ALLOW_PRIVATE",
        "MEDIA_FETCH_ALLOW_PRIVATE",
    ]
    code = "import django; django.setup(); from django.conf import settings; "
    code += f"print(*[getattr(settings, n, False) for n in {names!r}])"
    result = _python(env, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False"] * len(names)
