"""Celery tasks of messaging: thin; they call dispatch and services."""

from celery import shared_task


@shared_task(name="messaging.tasks.drain_number", ignore_result=True, acks_late=True)
def drain_number(number_id: int) -> dict:
    from .dispatch import drain_number as drain

    return drain(number_id)


@shared_task(name="messaging.tasks.recover", ignore_result=True)
def recover() -> dict:
    from .dispatch import recover as run

    return run()


@shared_task(name="messaging.tasks.apply_status_callbacks", ignore_result=True)
def apply_status_callbacks() -> int:
    from .receipts import receipts_apply_all

    return receipts_apply_all()


@shared_task(name="messaging.tasks.broadcast_start", ignore_result=True)
def broadcast_start(broadcast_id: int) -> None:
    from .models import Broadcast
    from .services import broadcast_start as start

    start(broadcast=Broadcast.objects.get(pk=broadcast_id))
