"""What campaigns reports down to billing (accounts.billing): 10DLC pass-through fees when a
brand is sent for registration and a campaign for vetting, and, once a day, the numbers
held and the monthly fee of each approved campaign. Each fact has its own usage key, so a
retried registration or a second run of the day records nothing twice."""

from datetime import date, datetime, time

from django.db.models import Q
from django.utils import timezone

from accounts.billing import money
from accounts.billing import services as billing
from accounts.billing.models import UsageKind
from accounts.models import Business

from ..models import Campaign, PhoneNumber


def billing_report_registration(
    *, business: Business, key: str, kind: str, description: str, now: datetime | None = None
) -> None:
    """A 10DLC fee at cost, once per ``key`` (call it in the registering transaction)."""
    usage = billing.pass_through_usage(
        business=business,
        kind=kind,
        source_key=key,
        occurred_at=now or timezone.now(),
        description=description,
    )
    billing.usage_record_many(business_id=business.pk, items=[usage])


def billing_report_day(*, day: date) -> int:
    """Record the numbers each business held on ``day`` (active or suspended at any moment
    of it) and, on the first report of a month, each approved campaign's monthly fee.
    Returns how many facts were reported (recorded once each, however often it runs)."""
    start = timezone.make_aware(datetime.combine(day, time.min))
    end = timezone.make_aware(datetime.combine(day, time.max))
    held = PhoneNumber.objects.filter(created_at__lte=end).filter(
        ~Q(status=PhoneNumber.Status.RELEASED) | Q(released_at__gte=start)
    )
    reported = 0
    by_business: dict[int, list[billing.Usage]] = {}
    for number in held.only("uuid", "business_id", "e164"):
        by_business.setdefault(number.business_id, []).append(
            billing.Usage(
                f"number:{number.uuid}:{day.isoformat()}",
                UsageKind.NUMBER_DAY,
                start,
                1,
                description=number.e164,
            )
        )
    period = money.period_of(day)
    for campaign in Campaign.objects.filter(status=Campaign.Status.APPROVED).select_related(
        "business"
    ):
        usage = billing.pass_through_usage(
            business=campaign.business,
            kind=UsageKind.CAMPAIGN_MONTHLY,
            source_key=f"campaign:{campaign.uuid}:{period:%Y-%m}",
            occurred_at=start,
            description=f"campaign {campaign}, {period:%B %Y}",
        )
        by_business.setdefault(campaign.business_id, []).append(usage)
    for business_id, items in by_business.items():
        billing.usage_record_many(business_id=business_id, items=items)
        reported += len(items)
    return reported
