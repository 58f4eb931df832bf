"""Done when (issue 21): in a real browser, a template with merge fields is created, a
broadcast goes to a saved segment, and each recipient's rendering is in the simulated
carrier's audit log (sent by the drain over HTTP, every gate on the rendered text)."""

import os

import pytest
from playwright.sync_api import expect

from consent.audiences.models import ContactField, Segment
from messaging import dispatch
from messaging.models import Broadcast, Message
from messaging.providers import _cache
from messaging.providers.simulated import SimulatedCarrier
from messaging.templating.models import MessageTemplate
from tests.browser import dismiss_cookie_banner, signed_in_page
from tests.factories.messaging import consenting_contact, sending_number

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = (
    'Hi {{ first_name | default:"there" }}, {{ business_name }} here: your next visit is '
    "{{ field.next_visit }}. Reply STOP to opt out."
)


def test_template_segment_broadcast_reaches_the_carrier_rendered(
    chromium, live_server, owner, business, carrier, settings, monkeypatch
):
    settings.MESSAGING_STATUS_CALLBACKS = False
    monkeypatch.setitem(_cache, "simulated", SimulatedCarrier(base_url=carrier.url))
    number = sending_number(business=business)
    ContactField.objects.create(business=business, key="next_visit", label="Next visit")
    people = {
        "Ana Ruiz": "Tue 3pm",
        "": "Wed 10am",  # no name: the fallback
        "Bo Chen": "Fri 9am",
    }
    contacts = []
    for name, visit in people.items():
        contact = consenting_contact(business=business, number=number, name=name, tags=["regular"])
        contact.custom_fields = {"next_visit": visit}
        contact.save()
        contacts.append(contact)
    consenting_contact(business=business, number=number, name="Not Regular", tags=["new"])

    with signed_in_page(chromium, live_server, owner) as page:
        page.goto("/app/templates/")
        dismiss_cookie_banner(page)
        page.fill("#id_name", "Next visit")
        page.select_option("#id_kind", "transactional")
        page.fill("#id_body", BODY)
        expect(page.locator("#template-counter")).to_contain_text("segment")
        page.get_by_role("button", name="Save template").click()
        expect(page.locator("#renderings")).to_contain_text("Hi Ana, ")
        template = MessageTemplate.objects.get(business=business)

        page.goto("/app/segments/")
        page.fill("#id_name", "Regulars")
        page.fill("#id_tags", "regular")
        page.get_by_role("button", name="Save segment").click()
        expect(page.locator("#segment-count")).to_have_text("3")
        segment = Segment.objects.get(business=business)

        page.goto("/app/broadcasts/new/")
        page.fill("#id_name", "Visit reminders")
        page.select_option("#id_segment", str(segment.uuid))
        page.select_option("#id_template", str(template.uuid))
        page.get_by_role("button", name="Save draft and see the estimate").click()
        expect(page.locator("#renderings")).to_contain_text("3")
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Start").click()
        expect(page.locator("[data-field=status]")).not_to_have_text("Draft")

    broadcast = Broadcast.objects.get(business=business)
    assert broadcast.segment == segment and broadcast.kind == "transactional"
    assert Message.objects.filter(broadcast=broadcast, status=Message.Status.QUEUED).count() == 3
    dispatch.drain_number(number.pk)
    sent = {e["to"]: e["body"] for e in carrier.audit() if not e.get("duplicate")}
    name = business.display_name
    assert sent == {
        contacts[
            0
        ].phone_e164: f"Hi Ana, {name} here: your next visit is Tue 3pm. Reply STOP to opt out.",
        contacts[
            1
        ].phone_e164: f"Hi there, {name} here: your next visit is Wed 10am. Reply STOP to opt out.",
        contacts[
            2
        ].phone_e164: f"Hi Bo, {name} here: your next visit is Fri 9am. Reply STOP to opt out.",
    }
