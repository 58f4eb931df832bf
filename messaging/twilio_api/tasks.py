"""Celery tasks of the Twilio-compatible API: thin, they call services."""

from celery import shared_task

from . import services


@shared_task(name="twilio_api.callbacks.deliver", ignore_result=True, acks_late=True)
def twilio_callback_deliver_task(callback_id: int) -> None:
    services.twilio_callback_deliver(callback_id=callback_id)


@shared_task(name="twilio_api.callbacks.retry_due", ignore_result=True)
def twilio_callbacks_retry_due_task() -> int:
    return services.twilio_callbacks_retry_due()
