"""Request ids, JSON logs without secrets, health and readiness."""

import json
import logging

import pytest

from config.observability import ContextFilter, JsonFormatter, request_id_var


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first and second and first != second
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc123def456")["X-Request-ID"] == (
        "abc123def456"
    )
    # a hostile id is replaced, not echoed
    assert client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_json_logs_carry_the_request_id_and_redact_secrets():
    record = logging.makeLogRecord(
        {
            "name": "messaging",
            "levelname": "INFO",
            "msg": "sent %s",
            "args": ("m1",),
            "message_id": "m1",
            "api_key": "cyc_abc_secret",
            "authorization": "Bearer x",
        }
    )
    token = request_id_var.set("req42")
    try:
        ContextFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "sent m1"
    assert line["request_id"] == "req42"
    assert line["message_id"] == "m1"
    assert line["api_key"] == "[redacted]" and line["authorization"] == "[redacted]"
    assert "cyc_abc_secret" not in json.dumps(line)


@pytest.mark.django_db
def test_readiness_reports_each_dependency(client, settings):
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"]) == {"database", "broker", "carrier"}
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"


@pytest.mark.django_db
def test_readiness_fails_when_the_broker_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"


@pytest.mark.django_db
def test_readiness_fails_when_the_carrier_is_down(client, settings):
    settings.CARRIER_URL = "http://127.0.0.1:1"
    settings.MESSAGING_PROVIDER = "simulated"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["carrier"]["status"] == "error"


@pytest.mark.django_db
def test_readiness_tells_a_stranger_what_failed_but_not_its_error_text(client, settings):
    # second review: /readyz is public and answered each failure's exception text — the
    # internal host, port and user names in a database or broker error
    settings.CELERY_BROKER_URL = "redis://broker-secret-host.internal:1/0"
    settings.METRICS_TOKEN = "metrics-token"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "error"
    assert "broker-secret-host" not in response.content.decode()
    assert "error" not in response.json()["checks"]["broker"]
    # the scraper's token (or verified staff) still reads why
    told = client.get("/readyz", HTTP_AUTHORIZATION="Bearer metrics-token")
    assert told.status_code == 503 and told.json()["checks"]["broker"]["error"]
