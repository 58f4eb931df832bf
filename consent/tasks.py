"""Celery tasks of consent: thin, they load and call services."""

from celery import shared_task


@shared_task(acks_late=True)
def consent_import_run(import_id: int) -> None:
    from .services import contact_import_run

    contact_import_run(import_id=import_id)
