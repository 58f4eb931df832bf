"""The compose pre-check: what a text would cost and which gates it would meet."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from accounts.billing import selectors as billing_selectors
from accounts.models import Business
from consent.phones import InvalidPhone, normalize
from consent.selectors import contact_for_phone

from ..errors import ValidationFailed
from ..gates import Candidate, automated_for, message_gates
from ..segments import segment_info
from .numbers import recipient_zone, sending_numbers


@dataclass(frozen=True)
class MmsPrice:
    """What a text costs as SMS segments and as one MMS (the business's billing plan)."""

    segments: int
    sms: float  # this text as SMS: segments x the segment price
    mms: float  # one MMS, whatever the caption's length
    is_mms: bool

    @property
    def words(self) -> str:
        if self.is_mms:
            return (
                f"With a picture or card this is one MMS: ${self.mms:.4f}, whatever the "
                f"text's length (as a plain text it would be {self.segments} segment"
                f"{'s' if self.segments != 1 else ''}, ${self.sms:.4f})."
            )
        return (
            f"A plain text of {self.segments} segment{'s' if self.segments != 1 else ''}: "
            f"${self.sms:.4f}. Adding a picture or card makes it one MMS at ${self.mms:.4f}."
        )


def mms_price(*, business: Business, segments: int, media_count: int) -> dict:
    """The business's own prices (its billing plan: accounts.billing), in dollars."""
    sms_subcents, mms_subcents = billing_selectors.unit_prices(business=business)
    price = MmsPrice(
        segments=segments,
        sms=max(1, segments) * sms_subcents / 10_000,
        mms=mms_subcents / 10_000,
        is_mms=media_count > 0,
    )
    return {"sms": price.sms, "mms": price.mms, "is_mms": price.is_mms, "words": price.words}


def compose_precheck(
    *,
    business: Business,
    body: str,
    kind: str,
    phone: str = "",
    contact=None,
    from_number=None,
    send_at: datetime | None = None,
    media=(),
) -> dict:
    """A dry run of the send gates for the compose page: nothing is written (a contact
    that does not exist yet is checked as having no consent). ``media``: the files it
    would carry (an MMS: one message, judged with their names and metadata text)."""
    info = segment_info(body or "")
    result: dict = {
        "segments": info.as_dict(),
        "gates": [],
        "verdict": "allow",
        "to": "",
        "price": mms_price(business=business, segments=info.segments, media_count=len(media)),
    }
    errors: dict[str, list[str]] = {}
    if contact is None and phone:
        try:
            phone = normalize(phone)
        except InvalidPhone as exc:
            errors["to"] = [str(exc)]
        else:
            contact = contact_for_phone(business=business, phone=phone)
    elif contact is not None:
        phone = contact.phone_e164
    if not phone and "to" not in errors:
        errors["to"] = ["Enter a phone number or choose a contact."]
    if not (body or "").strip() and not media:
        errors["body"] = ["Write the message."]
    if errors:
        raise ValidationFailed(fields=errors)
    if from_number is None:
        from_number = sending_numbers(business=business).first()
    result["to"] = phone
    result["from_number"] = from_number.e164 if from_number is not None else ""
    now = timezone.now()
    (decision,) = message_gates(
        business=business,
        items=[
            Candidate(
                contact=contact,
                body=body,
                kind=kind,
                from_number=from_number,
                # the compose page: a person's send-now, automated when scheduled
                automated=automated_for(channel="portal", scheduled=send_at is not None),
                to_phone=phone,
                due=max(send_at, now) if send_at else now,
                media_count=len(media),
                media_text=" ".join(m.text_for_policy for m in media),
            )
        ],
        now=now,
    )
    out = []
    for g in decision.gates:
        message = g.message
        if g.verdict == "defer" and decision.defer_until is not None:
            zone = recipient_zone(business=business, contact=contact, phone=phone)
            message = (
                "Quiet hours where the recipient lives: it will wait until "
                f"{decision.defer_until.astimezone(zone):%Y-%m-%d %H:%M %Z}."
            )
        out.append(
            {
                "gate": g.gate,
                "ok": g.ok,
                "code": g.code,
                "message": message,
                "verdict": g.verdict,
                "detail": g.detail,
            }
        )
    result["gates"] = out
    result["verdict"] = decision.verdict
    return result
