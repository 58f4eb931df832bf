from celery import shared_task

from . import services


@shared_task(name="events.webhooks.deliver", ignore_result=True, acks_late=True)
def webhook_deliver_task(delivery_id: int) -> None:
    services.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="events.webhooks.retry_due", ignore_result=True)
def webhook_retry_due_task() -> int:
    return services.webhook_retry_due()
