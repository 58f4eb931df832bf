"""Celery tasks of reminders (thin: they call the services); beat runs both."""

from celery import shared_task

from . import services


@shared_task(name="messaging.reminders.tasks.send_due")
def send_due() -> int:
    """Hand every reminder whose time has come to the send path."""
    return services.reminders_send_due()


@shared_task(name="messaging.reminders.tasks.poll_feeds")
def poll_feeds() -> int:
    """Read the iCalendar feeds not read within REMINDERS_FEED_INTERVAL."""
    return services.calendar_feeds_poll_due()
