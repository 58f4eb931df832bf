"""Celery tasks of messaging: thin; they take ids and call dispatch and services. The
names are fixed (the beat schedule and the workers' routes use them)."""

from celery import shared_task

from consent.models import ConsentEvent, EventKind

from . import dispatch, services
from .models import Broadcast
from .receipts import receipts_apply_all


@shared_task(name="messaging.tasks.drain_number", ignore_result=True, acks_late=True)
def drain_number(number_id: int) -> dict:
    return dispatch.drain_number(number_id)


@shared_task(name="messaging.tasks.recover", ignore_result=True)
def recover() -> dict:
    facts = dispatch.recover()
    facts["broadcasts_completed"] = services.broadcasts_complete()
    return facts


@shared_task(name="messaging.tasks.apply_status_callbacks", ignore_result=True)
def apply_status_callbacks() -> int:
    return receipts_apply_all()


@shared_task(name="messaging.tasks.broadcast_start", ignore_result=True)
def broadcast_start(broadcast_id: int) -> None:
    services.broadcast_start(broadcast=Broadcast.objects.get(pk=broadcast_id))


@shared_task(name="messaging.tasks.billing_release_unsent", ignore_result=True)
def billing_release_unsent_task() -> int:
    """Give back the spending-cap reservations of messages that ended unsent."""
    return services.billing_release_unsent()


@shared_task(name="messaging.tasks.optin_form_reply_yes", ignore_result=True, acks_late=True)
def optin_form_reply_yes(event_id: int) -> None:
    """The "Reply YES" text of a public form's new pending opt-in, queued by the form's view
    once the event is committed (the person's answer does not wait for it). The text's gates
    decide here as they did in the request; its idempotency key (``doi:<event uuid>``) makes
    a second run (a retry, a lost worker's redelivery) find the first text, not send one."""
    event = (
        ConsentEvent.objects.select_related("form__business", "contact")
        .filter(pk=event_id, kind=EventKind.OPT_IN, form__isnull=False)
        .first()
    )
    if event is not None:
        services.double_opt_in_send(form=event.form, contact=event.contact, event=event)
