"""Fault-injection stage: reuses the real-worker fixtures of the messaging tests (Celery
worker and beat processes on the test database, the simulated carrier over HTTP)."""

from tests.messaging.conftest import celery_procs  # noqa: F401 - re-exported fixture
