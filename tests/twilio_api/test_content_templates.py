"""Templates through the Twilio-compatible API, as Twilio's Content API is used: the official
``twilio`` library sends ``ContentSid`` (our template) and ``ContentVariables`` (JSON) in
place of ``Body``; the rendered text is what is stored and what every gate judged."""

import json

import pytest
from twilio.base.exceptions import TwilioRestException

from messaging.models import Message
from messaging.templating import services as templating
from messaging.twilio_api import formats
from tests.factories.accounts import BusinessFactory
from tests.factories.messaging import consenting_contact, queued_status_now

pytestmark = pytest.mark.django_db(transaction=True)
BODY = (
    'Hi {{ first_name | default:"there" }}, your visit is {{ var.1 }} at {{ business_name }}'
    ' (ref {{ var.ref | default:"none" }}). Reply STOP to opt out.'
)


def _raises(call, code: int, status: int) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as info:
        call()
    assert (info.value.code, info.value.status) == (code, status), info.value.msg
    return info.value


@pytest.fixture
def template(business):
    return templating.template_create(business=business, name="Visit", body=BODY)


def test_content_sid_sends_the_rendering_for_the_contact(tw, business, number, template):
    ana = consenting_contact(business=business, number=number, name="Ana Ruiz")
    created = tw.messages.create(
        content_sid=template.content_sid,
        content_variables=json.dumps({"1": "Tue 3pm", "ref": "A7"}),
        to=ana.phone_e164,
        from_=number.e164,
    )
    expected = (
        f"Hi Ana, your visit is Tue 3pm at {business.display_name} (ref A7). Reply STOP to opt out."
    )
    message = Message.objects.get(business=business)
    assert created.sid == f"SM{message.uuid.hex}" and created.body == expected
    assert message.body == expected and message.status == queued_status_now(ana.phone_e164)
    assert message.automated and message.kind == template.kind
    # a recipient with no name: the fallbacks
    other = consenting_contact(business=business, number=number, name="")
    created = tw.messages.create(
        content_sid=template.content_sid,
        content_variables=json.dumps({"1": "Wed 9am"}),
        to=other.phone_e164,
        from_=number.e164,
    )
    assert created.body.startswith("Hi there, your visit is Wed 9am")
    assert "(ref none)" in created.body


def test_a_variable_cannot_smuggle_a_link_past_the_gates(tw, business, number, template):
    ana = consenting_contact(business=business, number=number, name="Ana Ruiz")
    error = _raises(
        lambda: tw.messages.create(
            content_sid=template.content_sid,
            content_variables=json.dumps({"1": "now, claim at bit.ly/free-cash"}),
            to=ana.phone_e164,
            from_=number.e164,
        ),
        formats.FILTERED,
        400,
    )
    blocked = Message.objects.get(business=business)
    assert blocked.status == Message.Status.BLOCKED and "bit.ly/free-cash" in blocked.body
    assert formats.message_sid(blocked.uuid) in error.msg


def test_content_errors_in_twilios_shape(tw, business, number, contact, template):
    def send(**kwargs):
        return lambda: tw.messages.create(to=contact.phone_e164, from_=number.e164, **kwargs)

    # unknown, malformed and another business's template: 21655, 404
    foreign = templating.template_create(business=BusinessFactory(), name="Visit", body=BODY)
    for sid in (f"HX{'0' * 32}", "HX123", foreign.content_sid):
        error = _raises(send(content_sid=sid), formats.CONTENT_SID_INVALID, 404)
        assert "ContentSid" in error.msg
    # ContentVariables that is not a JSON object of text or numbers: 21656, 400
    for bad in ("{not json", "[1, 2]", json.dumps({"1": {"x": 1}}), json.dumps({"A b": "x"})):
        error = _raises(
            send(content_sid=template.content_sid, content_variables=bad),
            formats.CONTENT_VARIABLES,
            400,
        )
        assert "ContentVariables" in error.msg
    # ContentVariables without ContentSid: 21654; Body and ContentSid together: 20001
    _raises(send(content_variables="{}", body="Hi"), formats.CONTENT_SID_REQUIRED, 400)
    _raises(
        send(content_sid=template.content_sid, body="Hi. Reply STOP to opt out."),
        formats.INVALID_PARAMETER,
        400,
    )
    assert not Message.objects.filter(business=business).exists()


def test_content_variables_nested_thousands_deep_are_21656_not_a_500(
    tw, business, number, contact, template
):
    # a form field, so the body-depth check at the edge never sees it; json.loads raised
    # RecursionError, which the ValueError handler let through as a 500
    _raises(
        lambda: tw.messages.create(
            content_sid=template.content_sid,
            content_variables="[" * 5000 + "]" * 5000,
            to=contact.phone_e164,
            from_=number.e164,
        ),
        formats.CONTENT_VARIABLES,
        400,
    )
    assert not Message.objects.filter(business=business).exists()
