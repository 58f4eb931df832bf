"""config/gunicorn.conf.py: each new web worker compiles the policy rules before its first
request (issue 18, finding 9: the first send of a fresh worker waited 1-2 s for them)."""

import logging
import runpy
from pathlib import Path

import pytest

from policies import services as policy_services

CONF = Path(__file__).resolve().parents[1] / "config" / "gunicorn.conf.py"


@pytest.fixture
def cold_rules():
    policy_services.rules_reset()
    yield
    policy_services.rules_reset()


@pytest.mark.django_db
def test_the_worker_hook_compiles_the_rules_before_the_first_request(cold_rules):
    from django.urls import clear_url_caches, get_resolver

    clear_url_caches()
    hooks = runpy.run_path(str(CONF))
    assert policy_services._rules["compiled"] is None
    assert not get_resolver()._populated
    hooks["post_worker_init"](None)
    assert get_resolver()._populated  # the first reverse() finds its table built
    compiled = policy_services._rules["compiled"]
    assert compiled is not None
    assert policy_services.rules_current() is compiled  # the first send finds them ready


@pytest.mark.django_db
def test_the_procfile_web_process_uses_the_config():
    procfile = (CONF.parents[1] / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "-c config/gunicorn.conf.py" in web


@pytest.mark.django_db
def test_a_warm_up_that_fails_is_logged_and_the_worker_still_starts(
    cold_rules, monkeypatch, caplog
):
    def unreachable():
        raise RuntimeError("database down")

    monkeypatch.setattr(policy_services, "rules_current", unreachable)
    from config.warmup import warm

    with caplog.at_level(logging.ERROR, logger="config.warmup"):
        assert warm() >= 0
    assert "warm-up failed" in caplog.text
    assert policy_services._rules["compiled"] is None


def test_no_control_socket_shared_between_gunicorns_on_a_host():
    assert runpy.run_path(str(CONF))["control_socket_disable"] is True
