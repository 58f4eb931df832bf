"""Celery tasks of consent: thin, they load and call services."""

from celery import shared_task


@shared_task(acks_late=True)
def consent_import_run(import_id: int) -> None:
    # here, not at the top: services.imports enqueues this task (a task <-> service cycle)
    from .services import contact_import_run

    contact_import_run(import_id=import_id)


@shared_task
def consent_ledger_checkpoint() -> int:
    # here, not at the top: services.imports imports this module (a task <-> service cycle)
    from .services.checkpoints import ledger_checkpoint

    return ledger_checkpoint()
