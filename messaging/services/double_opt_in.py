"""The double opt-in text ("Reply YES"): consent records the pending opt-in, messaging
sends the text (messaging sits above consent; the public form's view and the portal and
API views that record an opt-in call these)."""

import logging
from types import SimpleNamespace

from accounts.errors import ApplicationError
from campaigns.selectors import phone_numbers_for_sending
from consent.services import double_opt_in_text

from .enqueue import message_enqueue

log = logging.getLogger(__name__)


def double_opt_in_send(*, form, contact, event) -> None:
    """Text "Reply YES" for the pending opt-in ``event`` from a number of its campaign.
    A text that cannot be queued is logged, never raised: the pending consent stays
    recorded either way."""
    numbers = phone_numbers_for_sending(business=form.business)
    if event.campaign_id:
        numbers = numbers.filter(campaign_id=event.campaign_id)
    number = numbers.order_by("id").first()
    try:
        message_enqueue(
            business=form.business,
            body=double_opt_in_text(form=form),
            kind="transactional",
            contact=contact,
            from_number=number,
            channel="system",
            purpose="double_opt_in",
            idempotency_key=f"doi:{event.uuid}",
        )
    except ApplicationError:
        # the pending consent stays recorded; staff see the failure in the logs
        log.exception("double opt-in text for form %s could not be queued", form.uuid)


def double_opt_in_send_for_event(*, business, contact, event) -> None:
    """The "Reply YES" text for an opt-in recorded in the portal or the API (such an event
    has no form: the public form sends its own text)."""
    about = event.campaign.description[:80].rstrip(".") if event.campaign_id else "our texts"
    stand_in = SimpleNamespace(  # what double_opt_in_text reads of a form
        business=business,
        uuid=event.uuid,
        program_name=business.display_name,
        message_description=about,
        frequency="Msg frequency varies",
        terms_url="",
        privacy_url="",
        disclosure_extra="",
    )
    double_opt_in_send(form=stand_in, contact=contact, event=event)
