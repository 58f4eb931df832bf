"""Portal pages of templates, the composer's merge fields and the broadcast form's segment
and template choices."""

import pytest

from consent.audiences.models import Segment
from messaging.models import Broadcast, Message
from messaging.templating.models import MessageTemplate
from tests.factories.messaging import consenting_contact

pytestmark = pytest.mark.django_db
BODY = 'Hi {{ first_name | default:"there" }}, see you on Tuesday. Reply STOP to opt out.'


def test_create_edit_delete_a_template(owner_client, business, number):
    consenting_contact(business=business, number=number, name="Lia Park")
    assert "No templates yet" in owner_client.get("/app/templates/").content.decode()
    bad = owner_client.post(
        "/app/templates/", {"name": "T", "kind": "informational", "body": "Hi {{ first_name"}
    )
    assert bad.status_code == 400 and "never closed" in bad.content.decode()
    r = owner_client.post("/app/templates/", {"name": "T", "kind": "informational", "body": BODY})
    template = MessageTemplate.objects.get(business=business)
    assert r.status_code == 302 and r["Location"].endswith(f"/app/templates/{template.uuid}/")
    page = owner_client.get(r["Location"]).content.decode()
    assert "Hi Lia, see you on Tuesday." in page
    # its ContentSid, to copy into a Twilio script (messaging/twilio_api/README.md)
    assert f'<span id="content-sid">HX{template.uuid.hex}</span>' in page
    dup = owner_client.post("/app/templates/", {"name": "T", "kind": "informational", "body": BODY})
    assert dup.status_code == 400 and "exists" in dup.content.decode()
    bad = owner_client.post(
        r["Location"], {"name": "T", "kind": "informational", "body": "{{ x }}"}
    )
    assert bad.status_code == 400 and "Unknown merge field" in bad.content.decode()
    ok = owner_client.post(r["Location"], {"name": "T2", "kind": "transactional", "body": BODY})
    assert ok.status_code == 302
    template.refresh_from_db()
    assert template.name == "T2" and template.kind == "transactional"
    assert owner_client.post(f"/app/templates/{template.uuid}/delete/").status_code == 302
    assert not MessageTemplate.objects.exists()


def test_composer_renders_merge_fields_for_the_recipient(owner_client, business, number):
    contact = consenting_contact(business=business, number=number, name="Lia Park")
    MessageTemplate.objects.create(business=business, name="T", body=BODY, kind="transactional")
    page = owner_client.get("/app/compose/").content.decode()
    assert "data-template-picker" in page
    r = owner_client.post(
        "/app/compose/",
        {
            "to": contact.phone_e164,
            "kind": "transactional",
            "body": BODY,
            "when": "now",
            "action": "send",
        },
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    message = Message.objects.get(business=business)
    assert message.body.startswith("Hi Lia, see you on Tuesday.") and message.automated
    bad = owner_client.post(
        "/app/compose/",
        {
            "to": contact.phone_e164,
            "kind": "transactional",
            "body": "Hi {{ nope }}",
            "when": "now",
            "action": "send",
        },
    )
    assert bad.status_code == 400 and "Unknown merge field" in bad.content.decode()


def test_broadcast_form_takes_a_segment_and_a_template(owner_client, business, number):
    for name in ("Ana Ruiz", "Bo Chen"):
        consenting_contact(business=business, number=number, name=name, tags=["vip"])
    segment = Segment.objects.create(business=business, name="VIP", filters={"tags": ["vip"]})
    template = MessageTemplate.objects.create(
        business=business, name="T", body=BODY, kind="transactional"
    )
    form = owner_client.get("/app/broadcasts/new/").content.decode()
    assert "VIP" in form and str(template.uuid) in form
    none = owner_client.post(
        "/app/broadcasts/new/",
        {"name": "x", "from_number": str(number.uuid), "kind": "transactional"},
    )
    assert none.status_code == 400
    text = none.content.decode()
    assert (
        "Give at least one tag. Or choose a saved segment." in text
        and "Write the message or choose a template" in text
    )
    r = owner_client.post(
        "/app/broadcasts/new/",
        {"name": "Tue", "segment": str(segment.uuid), "template": str(template.uuid),
         "from_number": str(number.uuid), "kind": "marketing", "body": ""},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()[-3000:]
    broadcast = Broadcast.objects.get(business=business)
    assert (
        broadcast.segment == segment
        and broadcast.body == BODY
        and broadcast.kind == "transactional"
    )
    detail = owner_client.get(r["Location"]).content.decode()
    assert "in the segment" in detail and "2</strong> different texts" in detail
    assert "Hi Ana, see you on Tuesday." in detail
