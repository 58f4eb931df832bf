"""Inbound texts: keywords first (the opt-out is written before anything else, then one
confirmation), START / UNSTOP / YES, HELP / INFO; anything else is the inbox."""

import logging

from django.db import transaction
from django.utils import timezone

from campaigns.selectors import phone_number_for_e164
from consent import services as consent_services
from consent.phones import InvalidPhone, normalize

from .. import keywords
from ..models import Message
from ..segments import segment_info
from ..tenant_webhooks import message_inbound_event, webhook_emit_many
from .enqueue import message_enqueue
from .outcomes import outcome_report

log = logging.getLogger(__name__)
S = Message.Status


def inbound_receive(
    *, to_number: str, from_phone: str, body: str, provider: str, provider_id: str = ""
) -> Message | None:
    """An inbound text: stored, then STOP family first (opt-out recorded before anything
    else, one confirmation), START/UNSTOP/YES, HELP/INFO; anything else is the inbox.
    Returns None when the number is not ours (the webhook answers 200 anyway)."""
    number = phone_number_for_e164(e164=to_number)
    if number is None:
        log.warning("inbound to unknown number %s", to_number)
        return None
    business = number.business
    try:
        phone = normalize(from_phone, recipient=False)  # a STOP from any number counts
    except InvalidPhone:
        log.warning("inbound from invalid phone %r", from_phone)
        return None
    if provider_id:
        dup = Message.objects.filter(
            business=business, provider_id=provider_id, direction=Message.Direction.INBOUND
        ).first()
        if dup is not None:  # provider retried its webhook
            return dup
    campaign = number.campaign
    match = keywords.classify(
        body,
        optout_keywords=getattr(campaign, "optout_keywords", None),
        optin_keywords=getattr(campaign, "optin_keywords", None),
        help_keywords=getattr(campaign, "help_keywords", None),
    )
    now = timezone.now()
    with transaction.atomic():
        contact, _ = consent_services.contact_get_or_create(business=business, phone=phone)
        evidence = {
            "source": f"SMS to {to_number}: {body[:200]}",
            "keyword": match.keyword,
            "text": body[:500],
            "to": to_number,
            "provider_id": provider_id,
        }
        reasons: list[dict] = []
        # The opt-out is written before the message row or anything else can fail.
        if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
            first = not Message.objects.filter(
                business=business,
                contact=contact,
                direction=Message.Direction.OUTBOUND,
                status__in=[S.SENT, S.DELIVERED],
            ).exists()
            consent_services.consent_record_opt_out(
                business=business,
                contact=contact,
                method="KEYWORD",
                scope_all=match.action == keywords.OPT_OUT_ALL or campaign is None,
                campaign=campaign,
                evidence=evidence,
            )
            reasons.append({"gate": "keyword", "code": match.action, "message": match.keyword})
        elif match.action == keywords.CONFIRM:
            event = consent_services.consent_confirm_double_opt_in(
                business=business, contact=contact, evidence=evidence
            )
            if event is None:
                event = consent_services.consent_record_reply_opt_in(
                    business=business, contact=contact, evidence=evidence, campaign=campaign
                )
            reasons.append(
                {
                    "gate": "keyword",
                    "code": "opt_in" if event else "confirm_noop",
                    "message": match.keyword,
                }
            )
        elif match.action == keywords.OPT_IN:
            event = consent_services.consent_record_reply_opt_in(
                business=business, contact=contact, evidence=evidence, campaign=campaign
            )
            reasons.append(
                {
                    "gate": "keyword",
                    "code": "opt_in" if event else "opt_in_noop",
                    "message": match.keyword,
                }
            )
        elif match.action == keywords.HELP:
            reasons.append({"gate": "keyword", "code": "help", "message": match.keyword})
        consent_services.contact_record_inbound(business=business, contact=contact)
        inbound = Message.objects.create(
            business=business,
            contact=contact,
            direction=Message.Direction.INBOUND,
            from_number=number,
            to_phone=phone,
            body=body,
            kind="conversational",
            status=S.RECEIVED,
            reasons=reasons,
            provider=provider,
            provider_id=provider_id,
            encoding=segment_info(body).encoding,
            segments=segment_info(body).segments,
            created_at=now,
            status_changed_at=now,
        )
        webhook_emit_many(events=[message_inbound_event(inbound, keyword=match.action or "")])
        reply_body, purpose = "", ""
        if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
            reply_body = getattr(campaign, "optout_message", "") or (
                f"{business.display_name}: You are unsubscribed and will receive no more messages."
            )
            purpose = "opt_out_confirmation"
        elif match.action == keywords.HELP:
            reply_body = getattr(campaign, "help_message", "") or (
                f"{business.display_name}: reply STOP to opt out."
            )
            purpose = "help_reply"
        elif (
            match.action in (keywords.OPT_IN, keywords.CONFIRM) and reasons[-1]["code"] == "opt_in"
        ):
            reply_body = getattr(campaign, "optin_message", "")
            purpose = "opt_in_confirmation"
        if reply_body:
            message_enqueue(
                business=business,
                body=reply_body,
                kind="transactional",
                contact=contact,
                from_number=number,
                automated=False,
                purpose=purpose,
                reply_to=inbound,
                idempotency_key=f"reply:{inbound.uuid}",
            )
    if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
        outcome_report(
            business, "opt_out", {"contact": str(contact.uuid), "keyword": match.keyword}
        )
        if first:
            outcome_report(business, "opt_out_after_first_message", {"contact": str(contact.uuid)})
    return inbound
