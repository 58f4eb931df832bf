"""Twilio's JSON for a message (the Message resource of API 2010-04-01, fields as in
twilio-oai's ``api.v2010.account.message``)."""

from messaging.models import Message

from . import formats


def message_uri(account_sid: str, sid: str) -> str:
    return f"/{formats.API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json"


def _direction(message: Message) -> str:
    if message.direction == Message.Direction.INBOUND:
        return "inbound"
    return "outbound-reply" if message.reply_to_id else "outbound-api"


def message_resource(message: Message, account_sid: str) -> dict:
    sid = formats.message_sid(message.uuid)
    number = message.from_number.e164 if message.from_number is not None else None
    inbound = message.direction == Message.Direction.INBOUND
    code = formats.error_code(
        status=message.status, reasons=message.reasons, provider_code=message.error_code
    )
    error_message = None
    if code is not None:
        found = formats.failure(message.reasons)
        error_message = found[1] if found else (message.error_message or None)
    uri = message_uri(account_sid, sid)
    twilio = getattr(message, "twilio", None)  # None: not created through this API
    return {
        "account_sid": account_sid,
        "api_version": formats.API_VERSION,
        "body": message.body,
        "date_created": formats.rfc2822(message.created_at),
        "date_sent": formats.rfc2822(message.created_at if inbound else message.sent_at),
        "date_updated": formats.rfc2822(message.status_changed_at),
        "direction": _direction(message),
        "error_code": code,
        "error_message": error_message,
        "from": message.to_phone if inbound else number,
        "messaging_service_sid": (twilio.messaging_service_sid or None) if twilio else None,
        "num_media": str(message.media_count),
        "num_segments": str(message.segments),
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": formats.STATUS.get(message.status, message.status.lower()),
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": number if inbound else message.to_phone,
        "uri": uri,
    }
