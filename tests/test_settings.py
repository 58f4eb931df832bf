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
    ],
)
def test_production_refuses_to_start_without_each_secret(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _check(env)
    assert result.returncode != 0
    assert missing in result.stderr
