"""Templates: saved once-checked, rendered per recipient, and every rendering judged by the
send gates (a merged value cannot carry a link or a refused word past them)."""

import pytest

from accounts.errors import Conflict, NotFound, ValidationFailed
from consent.audiences import services as audiences
from messaging import selectors as messaging_selectors
from messaging import services as messaging
from messaging.models import Message
from messaging.segments import segment_count
from messaging.templating import selectors, services
from messaging.templating.models import MessageTemplate
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact, queued_status_now

pytestmark = pytest.mark.django_db
S = Message.Status
BODY = (
    'Hi {{ first_name | default:"there" }}, {{ business_name }}: your visit is '
    "{{ field.visit }}. Reply STOP to opt out."
)


def test_create_checks_grammar_then_content_once(business):
    with pytest.raises(ValidationFailed) as bad:
        services.template_create(business=business, name="x", body="Hi {{ nick }}")
    assert "Unknown merge field" in bad.value.fields["body"][0]
    assert "at character 4" in bad.value.fields["body"][0]
    with pytest.raises(ValidationFailed) as refused:
        services.template_create(
            business=business,
            name="loan",
            kind="marketing",
            body="{{ first_name }}, get a payday loan today! Reply STOP to opt out.",
        )
    assert "content rules refuse" in refused.value.fields["body"][0]
    assert refused.value.detail["reasons"]
    template = services.template_create(business=business, name="Visit", body=BODY)
    assert template.verdict == "allow" and template.kind == "informational"
    with pytest.raises(Conflict):
        services.template_create(business=business, name="Visit", body=BODY)
    with pytest.raises(ValidationFailed) as empty:
        services.template_create(business=business, name=" ", body="", kind="nope")
    assert set(empty.value.fields) == {"name", "body", "kind"}
    with pytest.raises(ValidationFailed):
        services.template_create(business=business, name="long", body="x" * 1601)


def test_update_and_delete(business, other_business):
    template = services.template_create(business=business, name="A", body=BODY)
    services.template_create(business=business, name="B", body=BODY)
    services.template_update(
        template=template, name="A2", body="Hello {{ first_name }}. Reply STOP to opt out."
    )
    template.refresh_from_db()
    assert template.name == "A2" and "Hello" in template.body
    with pytest.raises(Conflict):
        services.template_update(template=template, name="B")
    with pytest.raises(NotFound):
        selectors.template_get(business=other_business, template_uuid=template.uuid)
    services.template_delete(template=template)
    assert not MessageTemplate.objects.filter(pk=template.pk).exists()


def test_render_values_fallbacks_and_variables(business):
    contact = ContactFactory(
        business=business, name="Ana María Lopez", custom_fields={"visit": "Tue 3pm"}
    )
    nameless = ContactFactory(business=business, name="", custom_fields={})
    texts = selectors.render_many(business=business, body=BODY, contacts=[contact, nameless])
    assert texts[0].startswith(f"Hi Ana, {business.display_name}: your visit is Tue 3pm.")
    assert texts[1].startswith(f"Hi there, {business.display_name}: your visit is .")
    assert (
        selectors.render_one(
            business=business,
            body="{{ last_name }}/{{ full_name }}/{{ var.code }}",
            contact=contact,
            variables={"code": 1234},
        )
        == "María Lopez/Ana María Lopez/1234"
    )
    assert selectors.render_one(business=business, body="plain", contact=None) == "plain"
    assert selectors.render_many(business=business, body="plain", contacts=[contact]) == ["plain"]
    with pytest.raises(ValidationFailed):
        selectors.clean_variables({"Bad Key": 1})
    with pytest.raises(ValidationFailed):
        selectors.clean_variables({"x": {"nested": 1}})
    with pytest.raises(ValidationFailed):
        selectors.clean_variables(["x"])
    assert selectors.clean_variables(None) == {}


def test_template_send_renders_then_every_gate_judges(business, number):
    contact = consenting_contact(business=business, number=number, name="Ben Ito")
    contact.custom_fields = {"visit": "Fri 9am"}
    contact.save()
    template = services.template_create(business=business, name="Visit", body=BODY)
    message = services.template_send(
        business=business, template=template, to_phone=contact.phone_e164
    )
    assert message.status == queued_status_now(contact.phone_e164) and message.automated
    assert message.body.startswith("Hi Ben, ") and "Fri 9am" in message.body
    # a variable that smuggles a link: the rendered text is what the policy engine reads
    linky = services.template_create(
        business=business,
        name="Code",
        body="{{ first_name }}, your code: {{ var.code }}. Reply STOP to opt out.",
    )
    blocked = services.template_send(
        business=business, template=linky, contact=contact, variables={"code": "bit.ly/free-cash"}
    )
    assert blocked.status == S.BLOCKED, blocked.reasons
    assert any(r["gate"] == "policy" for r in blocked.reasons), blocked.reasons


def test_broadcast_to_a_segment_renders_each_recipient_and_judges_each_rendering(business, number):
    audiences.contact_field_create(business=business, key="visit", kind="text")
    a = consenting_contact(business=business, number=number, name="Ana Ruiz", tags=["vip"])
    b = consenting_contact(business=business, number=number, name="", tags=["vip"])
    evil = consenting_contact(business=business, number=number, name="Di", tags=["vip"])
    injector = consenting_contact(business=business, number=number, name="Cy", tags=["vip"])
    for contact, visit in (
        (a, "Tue 3pm"),
        (b, "Wed 10am"),
        (evil, "Thu, and get a payday loan today"),
        (injector, "see http://203.0.113.9/claim-your-prize-now"),
    ):
        contact.custom_fields = {"visit": visit}
        contact.save()
    consenting_contact(business=business, number=number, name="Not vip")
    segment = audiences.segment_create(business=business, name="VIPs", filters={"tags": ["vip"]})
    body = (
        'Hi {{ first_name | default:"there" }}, your visit is {{ field.visit }}. '
        "Reply STOP to opt out."
    )
    preview = messaging_selectors.broadcast_preview(
        business=business, body=body, from_number=number, segment=segment
    )
    assert preview["recipients"] == 4 and preview["renderings"] == 4
    assert "203.0.113.9" in preview["longest"]
    broadcast = messaging.broadcast_create(
        business=business, name="Visits", body=body, kind="transactional",
        from_number=number, segment=segment,
    )  # fmt: skip
    assert broadcast.recipient_count == 4
    messaging.broadcast_start(broadcast=broadcast)
    msgs = {m.contact_id: m for m in Message.objects.filter(broadcast=broadcast)}
    assert msgs[a.pk].body.startswith("Hi Ana, your visit is Tue 3pm.")
    assert msgs[b.pk].body.startswith("Hi there, your visit is Wed 10am.")
    assert msgs[a.pk].status == S.QUEUED and msgs[b.pk].status == S.QUEUED
    for bad in (evil, injector):
        assert msgs[bad.pk].status in (S.BLOCKED, S.HELD), msgs[bad.pk].body
        assert any(r["gate"] == "policy" for r in msgs[bad.pk].reasons)


def test_the_estimate_counts_the_longest_rendering(business, number):
    short = consenting_contact(business=business, number=number, name="Al", tags=["t"])
    long = consenting_contact(business=business, number=number, name="Al", tags=["t"])
    long.custom_fields = {"note": "x" * 150}
    long.save()
    short.custom_fields = {"note": "y"}
    short.save()
    body = "{{ field.note }} Reply STOP to opt out."
    broadcast = messaging.broadcast_create(
        business=business, name="n", body=body, kind="transactional", from_number=number, tags=["t"]
    )
    longest = "x" * 150 + " Reply STOP to opt out."
    assert segment_count(longest) == 2
    assert broadcast.estimate_seconds == messaging_selectors.broadcast_estimate(
        recipients=2, segments=2
    )


def test_broadcast_body_errors_are_the_bodys(business, number):
    consenting_contact(business=business, number=number, tags=["t"])
    with pytest.raises(ValidationFailed) as info:
        messaging.broadcast_create(
            business=business, name="n", body="Hi {{ first_name", kind="transactional",
            from_number=number, tags=["t"],
        )  # fmt: skip
    assert "body" in info.value.fields
    with pytest.raises(ValidationFailed) as neither:
        messaging.broadcast_create(
            business=business, name="n", body="Hi", kind="transactional", from_number=number
        )
    assert "audience" in neither.value.fields
