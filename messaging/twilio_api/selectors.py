"""Reads of the Twilio-compatible API, every one scoped by the business."""

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Case, F, Q, QuerySet, When

from accounts.models import Business
from campaigns import selectors as campaign_selectors
from campaigns.models import Campaign, PhoneNumber
from messaging.models import Message

from . import formats
from .errors import TwilioError
from .models import TwilioCallback


def message_for_sid(*, business: Business, sid: str, path: str = "") -> Message:
    """The business's message with this SID; another business's or a malformed SID is the
    same 20404."""
    message_uuid = formats.uuid_from_sid(sid)
    message = None
    if message_uuid is not None:
        message = (
            Message.objects.select_related("from_number", "twilio")
            .filter(business=business, uuid=message_uuid)
            .first()
        )
    if message is None:
        raise TwilioError(
            formats.NOT_FOUND, f"The requested resource {path or sid} was not found", status=404
        )
    return message


def number_for_e164(*, business: Business, e164: str) -> PhoneNumber | None:
    """One of the business's numbers (any state: the gates judge whether it may send)."""
    return (
        campaign_selectors.phone_number_list(business=business, include_released=True)
        .filter(e164=e164)
        .order_by("-id")
        .first()
    )


def campaign_for_service_sid(*, business: Business, sid: str) -> Campaign | None:
    campaign_uuid = formats.uuid_from_service_sid(sid)
    if campaign_uuid is None:
        return None
    return campaign_selectors.campaign_list(business=business).filter(uuid=campaign_uuid).first()


def campaign_number(*, business: Business, campaign: Campaign) -> PhoneNumber | None:
    """A live number of the campaign (the Messaging Service's sender pool), by number."""
    return (
        campaign_selectors.phone_numbers_for_sending(business=business)
        .filter(campaign=campaign)
        .order_by("e164")
        .first()
    )


def message_page(
    *,
    business: Business,
    to: str = "",
    from_: str = "",
    sent_on: date | None = None,
    sent_before: datetime | date | None = None,
    sent_after: datetime | date | None = None,
    after_uuid=None,
    offset: int = 0,
    size: int = 50,
) -> tuple[list[Message], bool]:
    """One page of messages, newest first, and whether there is a next one. ``date_sent``
    is when an outbound text went to the carrier, or when an inbound one arrived (Twilio's
    meaning); ``DateSent<`` and ``DateSent>`` include the day (or instant) given. Pages
    after the first continue from the last message of the previous one (keyset)."""
    qs = (
        Message.objects.filter(business=business)
        .select_related("from_number", "twilio")
        .annotate(
            date_sent=Case(
                When(direction=Message.Direction.INBOUND, then=F("created_at")),
                default=F("sent_at"),
            )
        )
    )
    if to:
        qs = qs.filter(
            Q(direction=Message.Direction.OUTBOUND, to_phone=to)
            | Q(direction=Message.Direction.INBOUND, from_number__e164=to)
        )
    if from_:
        qs = qs.filter(
            Q(direction=Message.Direction.OUTBOUND, from_number__e164=from_)
            | Q(direction=Message.Direction.INBOUND, to_phone=from_)
        )
    if sent_on is not None:
        start = datetime.combine(sent_on, time.min, tzinfo=UTC)
        qs = qs.filter(date_sent__gte=start, date_sent__lt=start + timedelta(days=1))
    if sent_before is not None:
        if isinstance(sent_before, datetime):
            qs = qs.filter(date_sent__lte=sent_before)
        else:
            end = datetime.combine(sent_before, time.min, tzinfo=UTC) + timedelta(days=1)
            qs = qs.filter(date_sent__lt=end)
    if sent_after is not None:
        if isinstance(sent_after, datetime):
            qs = qs.filter(date_sent__gte=sent_after)
        else:
            qs = qs.filter(date_sent__gte=datetime.combine(sent_after, time.min, tzinfo=UTC))
    qs = qs.order_by("-created_at", "-id")
    if after_uuid is not None:
        last = Message.objects.filter(business=business, uuid=after_uuid).first()
        if last is None:
            raise TwilioError(formats.INVALID_PARAMETER, "PageToken is not valid.")
        qs = qs.filter(
            Q(created_at__lt=last.created_at) | Q(created_at=last.created_at, id__lt=last.pk)
        )
        offset = 0
    rows: list[Message] = list(qs[offset : offset + size + 1])
    return rows[:size], len(rows) > size


def callback_list(*, business: Business) -> QuerySet[TwilioCallback]:
    return TwilioCallback.objects.filter(business=business).select_related("message")
