"""Messaging pages in a real browser (Debian's chromium through Playwright): the live
segment counter mirrors the server's count, the live pre-check, sending, confirmation
before canceling, the broadcast progress bar polling, and a phone-sized screen."""

import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from messaging.models import Broadcast, Message
from messaging.segments import segment_info
from tests.browser import dismiss_cookie_banner, signed_in_page
from tests.factories.consent import ContactFactory
from tests.factories.messaging import MessageFactory, consenting_contact, sending_number

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = "Bright Smile: your cleaning is on Tue 3pm. Reply STOP to opt out."


@pytest.fixture
def signed_in(chromium, live_server, owner):
    """The owner's page, past the cookie banner (chosen once, so it covers nothing later)."""
    with signed_in_page(chromium, live_server, owner) as page:
        page.goto("/app/")
        dismiss_cookie_banner(page)
        yield page


SAMPLES = [
    "",
    "Hello",
    "x" * 160,
    "x" * 161,
    "Price: 10€ [promo] {now}",
    "€" * 80,
    "Café 😀 ok",
    "😀" * 35,
    "“Curly quotes” and — dashes",
    "y" * 152 + "€",
]


def test_counter_mirrors_the_server_and_the_precheck_runs(signed_in, business):
    page = signed_in
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    page.goto("/app/compose/")
    for text in SAMPLES:
        js = page.evaluate("t => window.cycSegmentInfo(t)", text)
        assert js == segment_info(text).as_dict(), text

    page.select_option("#id_kind", "transactional")
    page.fill("#id_to", contact.phone_e164)
    page.fill("#id_body", "See you soon 😀 Reply STOP to opt out.")
    expect(page.locator("#compose-counter")).to_contain_text("1 segment · UCS-2")
    expect(page.locator("#live-check")).to_contain_text("Ready to send", timeout=5000)
    expect(page.locator("#live-check")).to_contain_text("Consent: Consent is in place.")
    page.click("button[value=send]")
    expect(page.locator("h1")).to_have_text("Outbound message")
    expect(page.locator("main .badge").first).to_have_text("Waiting")
    assert Message.objects.get().status == Message.Status.QUEUED


def test_precheck_shows_a_blocking_gate_and_the_schedule_fields_toggle(signed_in, business):
    page = signed_in
    sending_number(business=business)
    stranger = ContactFactory(business=business)
    page.goto("/app/compose/")
    expect(page.locator("#schedule-fields")).to_be_hidden()
    page.check("input[name=when][value=later]")
    expect(page.locator("#schedule-fields")).to_be_visible()
    page.check("input[name=when][value=now]")
    page.fill("#id_to", stranger.phone_e164)
    page.fill("#id_body", BODY)
    expect(page.locator("#live-check")).to_contain_text("Will not be sent", timeout=5000)
    expect(page.locator("#live-check")).to_contain_text("has not consented")
    assert not Message.objects.exists()


def test_cancel_asks_first(signed_in, business):
    page = signed_in
    message = MessageFactory(business=business, status=Message.Status.SCHEDULED)
    page.goto(f"/app/messages/{message.uuid}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Cancel this message")
    message.refresh_from_db()
    assert message.status == Message.Status.SCHEDULED
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=Cancel this message")
    expect(page.locator("main")).to_contain_text("Canceled: it will not be sent.")
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELED


def test_a_message_on_its_way_shows_its_delivery_without_a_reload(signed_in, business):
    """Sent from compose, the page said "Waiting" and stayed so until the user reloaded,
    although the carrier delivered it a second later. It follows the message now; a
    delivered one is not watched."""
    page = signed_in
    message = MessageFactory(business=business, status=Message.Status.QUEUED)
    page.goto(f"/app/messages/{message.uuid}/")
    expect(page.locator("[data-refresh-when-done]")).to_have_count(1)
    loads = []
    page.on("load", lambda _page: loads.append(1))
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.DELIVERED, sent_at=timezone.now(), delivered_at=timezone.now()
    )
    expect(page.locator("main .badge").first).to_have_text("Delivered", timeout=10_000)
    expect(page.locator("main")).to_contain_text("Delivered")
    expect(page.locator("[data-refresh-when-done]")).to_have_count(0)
    assert len(loads) == 1  # one reload, once it changed
    page.wait_for_timeout(2500)
    assert len(loads) == 1  # and no more: a delivered message is not watched


def test_progress_bar_follows_a_running_broadcast(signed_in, business):
    page = signed_in
    number = sending_number(business=business)
    broadcast = Broadcast.objects.create(
        business=business,
        name="December",
        body=BODY,
        from_number=number,
        tags=["x"],
        status=Broadcast.Status.RUNNING,
        recipient_count=4,
        fanned_out_at=timezone.now(),  # every recipient has their message
    )
    for _ in range(4):
        MessageFactory(business=business, broadcast=broadcast, from_number=number)
    page.goto(f"/app/broadcasts/{broadcast.uuid}/")
    bar = page.locator("#progress-bar")
    assert bar.evaluate("el => el.value") == 0
    Message.objects.filter(broadcast=broadcast).update(status=Message.Status.DELIVERED)
    expect(page.locator("[data-field=summary]")).to_contain_text("4 of 4 done", timeout=8000)
    assert bar.evaluate("el => el.value") == 100
    expect(page.locator("[data-field=status]")).to_have_text("Completed")


def test_pages_fit_a_phone(signed_in, business):
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    MessageFactory(
        business=business,
        contact=contact,
        from_number=number,
        direction="inbound",
        status=Message.Status.RECEIVED,
        body="A long body " * 20,
    )
    broadcast = Broadcast.objects.create(
        business=business, name="December", body=BODY, from_number=number, tags=["x"]
    )
    urls = (
        "/app/compose/",
        "/app/messages/",
        "/app/broadcasts/",
        "/app/broadcasts/new/",
        f"/app/broadcasts/{broadcast.uuid}/",
        "/app/inbox/",
        f"/app/inbox/{contact.uuid}/",
        "/app/webhooks/",
    )
    for url in urls:
        page.goto(url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (url, overflow)
    page.goto("/app/compose/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


def test_inbox_reply_with_a_quick_reply_by_keyboard(signed_in, business):
    from messaging.models import QuickReply

    page = signed_in
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number, name="Ana Diaz")
    MessageFactory(
        business=business,
        contact=contact,
        from_number=number,
        to_phone=contact.phone_e164,
        direction="inbound",
        status=Message.Status.RECEIVED,
        kind="conversational",
        body="Are you open on Saturday?",
    )
    QuickReply.objects.create(business=business, title="Hours", body="We open 9 to 5, Mon-Sat.")
    page.goto("/app/inbox/")
    expect(page.locator("main")).to_contain_text("1 new")
    # the inbox list shows the same text: wait for the conversation page itself to load
    # (its quick-reply handler is attached by a script that runs once the page is parsed)
    with page.expect_navigation():
        page.click("text=Ana Diaz")
    expect(page.locator("main")).to_contain_text("Are you open on Saturday?")
    expect(page.locator("aside")).to_contain_text("may be sent")
    page.focus("button[data-quick-reply]")
    page.keyboard.press("Enter")
    expect(page.locator("#id_body")).to_have_value("We open 9 to 5, Mon-Sat.")
    expect(page.locator("#reply-counter")).to_contain_text("1 segment · GSM-7")
    with page.expect_navigation():
        page.click("text=Send reply")
    expect(page.locator(".messages")).to_contain_text("Waiting to go out")
    reply = Message.objects.get(direction="outbound")
    assert reply.body == "We open 9 to 5, Mon-Sat." and reply.reply_to is not None
    page.goto("/app/inbox/")
    expect(page.locator("main")).not_to_contain_text("1 new")
