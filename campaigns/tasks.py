"""Celery tasks of campaigns: thin, they call services."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import selectors, services

logger = logging.getLogger(__name__)


@shared_task(name="campaigns.tasks.campaigns_poll_registry", ignore_result=True)
def campaigns_poll_registry() -> int:
    """Poll the registry for brands and campaigns whose outcome is not known yet, and finish
    hand-offs that timed out (same referenceId, so nothing is registered twice)."""
    done = 0
    for brand in selectors.brands_to_poll():
        services.brand_refresh(brand=brand)
        done += 1
    for campaign in selectors.campaigns_to_poll():
        try:
            services.campaign_poll(campaign=campaign)
        except Exception:  # one bad row must not stop the round
            logger.exception("polling campaign %s", campaign.uuid)
        done += 1
    return done


@shared_task(name="campaigns.tasks.billing_report_day", ignore_result=True)
def billing_report_day() -> int:
    """Daily: yesterday's numbers held and campaign fees, reported to billing (and today's,
    so the Billing page's month so far includes today)."""
    today = timezone.now().date()
    return services.billing_report_day(day=today - timedelta(days=1)) + (
        services.billing_report_day(day=today)
    )
