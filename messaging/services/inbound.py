"""Inbound texts: keywords first (the opt-out is written before anything else, then one
confirmation), START / UNSTOP / YES, HELP / INFO, a campaign's join keywords (consent by
text); anything else is the inbox. The keyword table is data (``KeywordRule``), and the
compliance replies are in the language of the keyword, else the contact's."""

import logging
import uuid

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from campaigns.selectors import phone_number_for_e164
from consent import services as consent_services
from consent.models import EventKind
from consent.phones import InvalidPhone, normalize

from .. import compliance_replies as replies
from .. import keywords
from ..media import services as media_services
from ..models import KeywordRule, Message
from ..segments import segment_info
from ..tenant_webhooks import event_emit_many, message_inbound_event
from .enqueue import message_enqueue
from .outcomes import outcome_report

log = logging.getLogger(__name__)
S = Message.Status

_TABLE_CACHE_KEY = "messaging:keyword-table:v1"
_TABLE_TTL = 300  # seconds; the admin clears it on every change
# 47 CFR 64.1200(a)(10)'s per-se opt-out words: in force whatever the table says
LEGAL_MINIMUM = tuple(
    (w, keywords.OPT_OUT, "en")
    for w in ("STOP", "QUIT", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE")
)
AGE_GATED_MIN_AGE = 21  # alcohol and tobacco in the US


# Handlers for a text that is no keyword (``handler(business=, contact=, inbound=) -> reason
# dict | None``), registered by sub-apps from their ready() (reminders: a C / R reply).
# The first that answers claims the text; its reason is stored on the inbound message, so
# the inbox shows what it did. Keywords always win: STOP / HELP / START never reach them.
_reply_handlers: list = []


def inbound_handler_register(handler) -> None:
    if handler not in _reply_handlers:
        _reply_handlers.append(handler)


def keyword_table() -> keywords.Table:
    """The live keyword table: the active ``KeywordRule`` rows (all of ``keywords.DEFAULTS``
    when the table is empty) and the legal minimum, cached for every process."""
    rows = cache.get(_TABLE_CACHE_KEY)
    if rows is None:
        stored = list(KeywordRule.objects.values_list("word", "action", "language", "is_active"))
        if stored:
            rows = [(w, a, lang) for w, a, lang, active in stored if active]
        else:
            rows = list(keywords.DEFAULTS)
        cache.set(_TABLE_CACHE_KEY, rows, _TABLE_TTL)
    return keywords.Table([*LEGAL_MINIMUM, *rows])


def keyword_table_reset() -> None:
    """Forget the cached table (after staff change a keyword)."""
    cache.delete(_TABLE_CACHE_KEY)


def _program(business, campaign) -> replies.Program:
    """Who the replies name and how to reach them: the campaign's brand, else the business."""
    brand = getattr(campaign, "brand", None)
    if brand is None:
        return replies.Program(name=business.display_name, website=business.website or "")
    return replies.Program(
        name=brand.display_name or business.display_name,
        phone=brand.phone,
        email=brand.email,
        website=brand.website or business.website or "",
        frequency=campaign.join_frequency or "Msg frequency varies",
        # a link only where the campaign is registered to send links (the policy engine holds
        # a text with a link on a campaign that said it has none)
        terms_url=campaign.terms_and_conditions_link if campaign.embedded_link else "",
        min_age=AGE_GATED_MIN_AGE if campaign.age_gated else 0,
    )


def _keyword_opt_in(*, business, contact, campaign, inbound_uuid, body, to_number, match, media=()):
    """A join keyword: consent with method KEYWORD, the person's text as evidence and the
    campaign's call to action as the disclosure; double opt-in when the campaign asks for it
    or is age-gated (the YES confirms the age too)."""
    double_opt_in = campaign.join_double_opt_in or campaign.age_gated
    return consent_services.consent_record_opt_in(
        business=business,
        contact=contact,
        method="KEYWORD",
        campaign=campaign,
        evidence={
            "disclosure_text": campaign.message_flow,
            "policy_version": f"campaign:{campaign.uuid}",
            "source": f"SMS {match.keyword} to {to_number}",
            "data": {
                "inbound_message": str(inbound_uuid),
                "keyword": match.keyword,
                "text": body[:500],
                "from": contact.phone_e164,
                "to": to_number,
                **({"media": list(media)} if media else {}),
            },
        },
        double_opt_in=double_opt_in,
    )


def inbound_receive(
    *,
    to_number: str,
    from_phone: str,
    body: str,
    provider: str,
    provider_id: str = "",
    media_urls: list[str] | tuple = (),
    media_auth: tuple[str, str] | None = None,
) -> Message | None:
    """An inbound text: stored, then STOP family first (opt-out recorded before anything
    else, one confirmation), START/UNSTOP/YES, HELP/INFO, join keywords; anything else is
    the inbox. Returns None when the number is not ours (the webhook answers 200 anyway).

    ``media_urls``: the provider's copies of the client's pictures; each is downloaded once
    (SSRF-safe), checked and stored as our own copy before the text is recorded, so the
    provider's URL is never the only copy; a file refused is noted in the reasons."""
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
    media, media_problems = (
        media_services.media_receive_inbound(
            business=business, urls=list(media_urls), auth=media_auth
        )
        if media_urls
        else ([], [])
    )
    campaign = number.campaign
    match = keywords.classify(
        body,
        table=keyword_table(),
        optout_keywords=getattr(campaign, "optout_keywords", None),
        optin_keywords=getattr(campaign, "optin_keywords", None),
        help_keywords=getattr(campaign, "help_keywords", None),
        join_keywords=getattr(campaign, "join_keywords", None),
    )
    now = timezone.now()
    inbound_uuid = uuid.uuid4()
    with transaction.atomic():
        contact, _ = consent_services.contact_get_or_create(business=business, phone=phone)
        evidence: dict = {
            "source": f"SMS to {to_number}: {body[:200]}",
            "keyword": match.keyword,
            "text": body[:500],
            "to": to_number,
            "provider_id": provider_id,
        }
        if media:  # the pictures that came with it, by their hash (the proof pack shows it)
            evidence["media"] = [
                {"uuid": str(m.uuid), "content_type": m.content_type, "sha256": m.sha256}
                for m in media
            ]
        reasons: list[dict] = [
            {"gate": "media", "code": "media_refused", "message": problem}
            for problem in media_problems
        ]
        join_event = None
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
        elif match.action == keywords.JOIN and campaign is not None:
            join_event = _keyword_opt_in(
                business=business,
                contact=contact,
                campaign=campaign,
                inbound_uuid=inbound_uuid,
                body=body,
                to_number=to_number,
                match=match,
                media=evidence.get("media", ()),
            )
            pending = join_event.kind == EventKind.OPT_IN
            code = "join_pending" if pending else "join"
            if not join_event.was_created:
                code = "join_noop"  # already subscribed (or already asked): nothing new
            reasons.append({"gate": "keyword", "code": code, "message": match.keyword})
        elif match.action == keywords.HELP:
            reasons.append({"gate": "keyword", "code": "help", "message": match.keyword})
        consent_services.contact_record_inbound(
            business=business, contact=contact, language=match.language
        )
        inbound = Message.objects.create(
            uuid=inbound_uuid,
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
            segments=1 if media else segment_info(body).segments,
            media_count=len(media),
            created_at=now,
            status_changed_at=now,
        )
        if media:
            media_services.media_attach(business=business, media=media, messages=[inbound])
        if match.action == keywords.NONE:
            for handler in _reply_handlers:
                handled = handler(business=business, contact=contact, inbound=inbound)
                if handled:
                    inbound.reasons = [*reasons, handled]
                    inbound.save(update_fields=["reasons"])
                    break
        event_emit_many(
            events=[message_inbound_event(inbound, keyword=match.action or "", media=media)]
        )
        reply_body, purpose = _reply(
            business=business, campaign=campaign, contact=contact, match=match, reasons=reasons
        )
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


def _reply(*, business, campaign, contact, match, reasons) -> tuple[str, str]:
    """The one compliance reply to a keyword, and its purpose ("" for none). In the
    keyword's language, else the contact's; the campaign's own (registered, English) texts
    when the reply is in English."""
    language = replies.language_of(match.language, contact.language)
    program = _program(business, campaign)

    def own(field: str) -> str:
        """The campaign's registered text, for English replies."""
        return str(getattr(campaign, field, "") or "") if language == replies.ENGLISH else ""

    code = reasons[-1]["code"] if reasons else ""
    if match.action in (keywords.OPT_OUT, keywords.OPT_OUT_ALL):
        return own("optout_message") or replies.opt_out_text(program, language), (
            "opt_out_confirmation"
        )
    if match.action == keywords.HELP:
        return own("help_message") or replies.help_text(program, language), "help_reply"
    if code == "join_pending":
        return replies.join_request_text(program, language), "double_opt_in"
    if code == "join" or (match.action in (keywords.OPT_IN, keywords.CONFIRM) and code == "opt_in"):
        default = replies.join_confirmation_text(program, language) if campaign is not None else ""
        return own("optin_message") or default, "opt_in_confirmation"
    return "", ""
