from accounts.roles import Cap
from tests.factories.messaging import MessageFactory
from tests.sweep import Rule


def _account(business):
    return {"account_sid": f"AC{business.uuid.hex}"}


def _message(business):
    message = MessageFactory(business=business)
    return {**_account(business), "sid": f"SM{message.uuid.hex}"}


RULES = {
    "twilio:messages": Rule("twilio", cap=Cap.VIEW, kwargs=_account),
    "twilio:message": Rule("twilio", cap=Cap.VIEW, kwargs=_message),
}
