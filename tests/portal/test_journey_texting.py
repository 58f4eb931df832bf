"""Browser journeys of the texting side, against the live portal, the simulated carrier (over
HTTP, both directions) and a real Celery worker: register and get a number, opt-in form with
double opt-in by text, compose and deliver, STOP and the skip that follows, broadcast."""

import re
from datetime import UTC, datetime

import pytest
import requests
from playwright.sync_api import expect

from accounts.roles import Role
from campaigns.models import Campaign, PhoneNumber
from consent import selectors as consent_selectors
from consent.models import Contact
from messaging import quiet_hours
from messaging.models import Broadcast, Message
from tests.browser import LoopbackSite, dismiss_cookie_banner
from tests.campaigns.conftest import brand_input, campaign_input
from tests.factories.accounts import MembershipFactory, UserFactory
from tests.factories.messaging import consenting_contact, sending_number

from .conftest import shoot, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "Salon-owner-pass-42"
# Recipients across US time zones: journeys text the first one where it is daytime now, so a
# marketing text is not (rightly) held for quiet hours whatever hour CI runs at.
DAYTIME_CANDIDATES = [
    "+12125550{:03d}",  # New York
    "+13125550{:03d}",  # Chicago
    "+12135550{:03d}",  # Los Angeles
    "+19075550{:03d}",  # Alaska
    "+18085550{:03d}",  # Hawaii
    "+16715550{:03d}",  # Guam
]


def daytime_phone(n: int) -> str | None:
    now = datetime.now(UTC)
    for pattern in DAYTIME_CANDIDATES:
        phone = pattern.format(n)
        window = quiet_hours.window_for(phone)
        if quiet_hours.next_allowed(now, zones=quiet_hours.zones_for(phone), window=window) is None:
            return phone
    return None


def recipient(n: int) -> tuple[str, str]:
    """(phone, kind): marketing to a recipient in daytime (their contact is created with no
    known time zone, so the number's own zone decides, not the factory's New York); in the
    one UTC hour when no US zone is open (11:00-11:59), a transactional text, which quiet
    hours do not hold."""
    phone = daytime_phone(n)
    return (phone, "marketing") if phone else (f"+13125550{n:03d}", "transactional")


def text_for(kind: str, business, offer: str) -> str:
    """The offer for a marketing text; in the hour of the transactional fallback a notice
    that reads as one (an offer sent as transactional is judged as marketing by the gates and
    would rightly wait for quiet hours)."""
    if kind == "marketing":
        return f"{business.display_name}: {offer} Reply STOP to opt out."
    return (
        f"{business.display_name}: your colour appointment is confirmed for Tue at 3pm. "
        "Reply STOP to opt out."
    )


def owner_with_password(business=None, email="owner@salon.example"):
    user = UserFactory(email=email)
    user.set_password(PASSWORD)
    user.save()
    kwargs = {"business": business} if business else {}
    return MembershipFactory(user=user, role=Role.OWNER, **kwargs)


def log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    dismiss_cookie_banner(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/app/")


def test_register_brand_and_campaign_approved_then_get_a_number(
    new_page, staff_login, carrier, settings
):
    settings.CARRIER_URL = carrier.url
    owner = owner_with_password()
    business = owner.business
    page = new_page()
    log_in(page, owner.user.email)
    expect(page.locator("#readiness")).to_contain_text("Before you can send")
    page.get_by_role("link", name="Campaigns").first.click()

    page.goto("/app/campaigns/brands/new/")
    brand = brand_input(display_name=business.display_name, website=business.website)
    for name, value in brand.items():
        field = page.locator(f"#id_{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("Brand saved")
    page.get_by_role("button", name=re.compile("Register")).first.click()
    expect(page.locator(".messages")).to_contain_text("registered")

    data = campaign_input(brand_name=business.display_name)
    page.wait_for_url("**/app/campaigns/new/**")
    page.select_option("#id_usecase", data["usecase"])
    for sub in data["sub_usecases"]:
        page.check(f"#id_sub_usecases input[value={sub}]")
    for name in ("name", "description", "message_flow", "sample1", "sample2", "help_message",
                 "optin_message", "optout_message"):  # fmt: skip
        if data.get(name):
            page.fill(f"#id_{name}", data[name])
    expect(page.locator("#live-status")).to_have_text("Every rule we check passes.")
    page.click("#campaign-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Campaign:")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Submit for registration")
    expect(page.locator(".badge").first).to_have_text("Submitted")
    campaign = Campaign.objects.get(business=business)

    staff = new_page()
    staff_login(staff)
    staff.goto("/admin/campaigns/campaign/")
    staff.locator(f'input[name="_selected_action"][value="{campaign.pk}"]').check()
    staff.select_option("select[name=action]", label="Approve")
    staff.get_by_role("button", name="Go").click()
    staff.get_by_role("button", name="Apply").click()
    expect(staff.locator(".messagelist")).to_contain_text("1 campaign")
    campaign.refresh_from_db()
    assert campaign.status == "APPROVED"

    page.reload()
    expect(page.locator(".badge").first).to_have_text("Approved")
    shoot(page, "campaign-approved")

    page.goto("/app/numbers/")
    page.get_by_label("Area code").fill("312")
    page.get_by_role("button", name="Search").click()
    rent = page.get_by_role("button", name=re.compile(r"Rent \+1312"))
    expect(rent.first).to_be_visible()
    e164 = rent.first.inner_text().removeprefix("Rent ").strip()
    rent.first.click()
    expect(page.locator(".messages")).to_contain_text(f"{e164} is yours")
    number = PhoneNumber.objects.get(business=business, e164=e164)
    assert number.campaign_id == campaign.pk and number.status == "ACTIVE"
    # the carrier holds it now: renting it again there is refused
    again = requests.post(f"{carrier.url}/v1/numbers", json={"number": e164}, timeout=5)
    assert again.status_code == 409
    shoot(page, "numbers")
    page.goto("/app/")
    expect(page.locator("#readiness")).to_contain_text("Ready to send")
    expect(page.locator(f'[data-rate="{e164}"]')).to_have_text("0 / 50")


@pytest.fixture
def salon_site():
    """The salon's own website on another loopback origin, embedding the opt-in form."""
    with LoopbackSite() as site:
        yield site


def test_opt_in_form_embedded_then_double_opt_in_by_text(new_page, sending_stack, salon_site):
    carrier = sending_stack["carrier"]
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business)
    page = new_page()
    log_in(page, owner.user.email)
    page.goto("/app/forms/new/")
    # every field by a label people read, not a field's raw name ("Terms url", "Scope kind")
    page.get_by_label("Form name").fill("Website sign-up")
    page.check(f"#id_campaigns input[value='{number.campaign.uuid}']")
    page.get_by_label("Program name").fill(business.display_name)
    page.get_by_label("What you will text").fill("appointment reminders and offers")
    page.get_by_label("Terms page address").fill(f"{business.website}/terms")
    page.get_by_label("Privacy policy page address").fill(f"{business.website}/privacy")
    page.get_by_label("Sites allowed").fill(salon_site.origin)
    expect(page.get_by_label("Ask them to confirm by text (double opt-in)")).to_be_checked()
    page.locator("main form button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("Form created")
    snippet = page.locator("#snippet-iframe").input_value()
    assert "<iframe" in snippet
    shoot(page, "optin-form")

    salon_site.pages["/"] = f"<!doctype html><title>Salon</title><h1>Book and text</h1>{snippet}"
    phone, _ = recipient(142)
    carrier.control(replies={phone: "YES"})  # the client answers the confirmation text
    client = new_page()
    client.goto(salon_site.origin + "/")
    frame = client.frame_locator("iframe")
    frame.locator("input[name=phone]").fill(phone)
    frame.locator("input[name=consent]").check()
    frame.locator("input[name=age_confirmed]").check()
    frame.locator("button[type=submit]").click()
    expect(frame.get_by_role("status")).to_contain_text("reply YES")

    contact = Contact.objects.get(business=business, phone=phone)
    doi = wait_until(
        lambda: Message.objects.filter(
            contact=contact, purpose="double_opt_in", status__in=["SENT", "DELIVERED"]
        ).first(),
        what="the Reply YES text to reach the carrier",
    )
    assert "YES" in doi.body
    assert any(e["to"] == phone and "YES" in e["body"] for e in carrier.audit())
    wait_until(
        lambda: (
            consent_selectors.consent_check(
                business=business, contact=contact, kind="marketing", campaign=number.campaign
            ).allowed
        ),
        what="the YES reply to confirm consent",
    )
    page.goto(f"/app/contacts/{contact.uuid}/")
    expect(page.locator("main")).to_contain_text("Opted in")
    expect(page.locator("main")).to_contain_text("Opt-in confirmed")
    shoot(page, "contact-opted-in")


def test_compose_send_deliver_then_stop_and_later_sends_skip(new_page, sending_stack):
    carrier = sending_stack["carrier"]
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business)
    phone, kind = recipient(155)
    contact = consenting_contact(
        business=business, number=number, phone=phone, name="Dana", time_zone=""
    )
    page = new_page()
    log_in(page, owner.user.email)
    page.get_by_role("link", name="Compose").click()
    page.select_option("#id_kind", kind)
    # the contact picker: type part of the name, pick with the keyboard
    search = page.get_by_role("combobox", name="Find a contact")
    search.press_sequentially("Da", delay=50)
    option = page.get_by_role("option", name=re.compile(r"^Dana · "))
    expect(option).to_have_count(1)
    search.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    search.press("Enter")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(page.locator("#id_to")).to_have_value(phone)
    expect(page.locator("input[name=contact]")).to_have_value(str(contact.uuid))
    body = text_for(kind, business, "20% off colour this week.")
    page.fill("#id_body", body)
    expect(page.locator("#compose-counter")).to_contain_text("1 segment")
    expect(page.locator("#live-check")).to_contain_text("Ready to send", timeout=8000)
    shoot(page, "compose")
    page.click("button[value=send]")
    expect(page.locator("h1")).to_have_text("Outbound message")

    message = Message.objects.get(business=business, contact=contact, direction="outbound")
    wait_until(
        lambda: Message.objects.filter(pk=message.pk, status="DELIVERED").exists(),
        timeout=30,
        what="the delivery receipt",
    )
    sent = [e for e in carrier.audit() if e["to"] == phone]
    assert len(sent) == 1 and sent[0]["from"] == number.e164 and sent[0]["body"] == body
    page.goto("/app/messages/")
    expect(page.locator("main")).to_contain_text("Delivered")
    shoot(page, "message-log")
    page.goto("/app/")
    expect(page.locator('[data-figure="deliveries"]')).to_have_text("1")

    # the client replies STOP (the carrier posts it to our signed inbound webhook)
    reply = requests.post(
        f"{carrier.url}/v1/simulate/inbound",
        json={"from": phone, "to": number.e164, "body": "STOP"},
        timeout=5,
    )
    assert reply.status_code < 300
    wait_until(
        lambda: (
            not consent_selectors.consent_check(
                business=business, contact=contact, kind=kind, campaign=number.campaign
            ).allowed
        ),
        what="the STOP to be recorded",
    )
    page.goto(f"/app/contacts/{contact.uuid}/")
    expect(page.locator("main")).to_contain_text("Opted out")
    shoot(page, "contact-opted-out")
    # one confirmation goes back, and nothing else
    wait_until(
        lambda: any(
            e["to"] == phone and "unsubscribed" in e["body"].lower() for e in carrier.audit()
        ),
        what="the opt-out confirmation",
    )

    # a later send to the same client is skipped, with the reason shown
    page.goto("/app/compose/")
    page.select_option("#id_kind", kind)
    page.fill("#id_to", phone)
    page.fill("#id_body", body)
    expect(page.locator("#live-check")).to_contain_text("Will not be sent", timeout=8000)
    page.click("button[value=send]")
    expect(page.locator("main .badge").first).to_have_text("Skipped")  # one word, no "(Blocked)"
    expect(page.locator("main")).to_contain_text(re.compile("opted out", re.IGNORECASE))
    later = Message.objects.filter(business=business, contact=contact).order_by("-id").first()
    assert later.status == "BLOCKED" and any("opt" in r["code"] for r in later.reasons)
    assert len([e for e in carrier.audit() if e["to"] == phone and e["body"] == body]) == 1


def test_broadcast_with_estimate_progress_and_deliveries(new_page, sending_stack):
    carrier = sending_stack["carrier"]
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business)
    phones = []
    kind = "marketing"
    for i in range(3):
        phone, kind = recipient(170 + i)
        phones.append(phone)
        consenting_contact(
            business=business, number=number, phone=phone, tags=["vip"], time_zone=""
        )
    stopped, _ = recipient(180)
    gone = consenting_contact(
        business=business, number=number, phone=stopped, tags=["vip"], time_zone=""
    )
    from consent import services as consent_services
    from consent.models import Method

    consent_services.consent_record_opt_out(
        business=business, contact=gone, method=Method.KEYWORD, scope_all=True
    )
    page = new_page()
    log_in(page, owner.user.email)
    page.get_by_role("link", name="Broadcasts").click()
    page.goto("/app/broadcasts/new/")
    page.get_by_label("Name").fill("Spring offer")
    page.get_by_label("Send to contacts tagged").fill("vip")
    page.get_by_label("Kind of message").select_option(kind)
    page.locator("#id_body").fill(text_for(kind, business, "spring colour offer, 20% off."))
    page.get_by_role("button", name="Save draft and see the estimate").click()
    expect(page.locator("#broadcast-progress")).to_contain_text("Sending takes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#progress-bar")).to_have_attribute("value", "100", timeout=30_000)
    broadcast = Broadcast.objects.get(business=business)
    wait_until(
        lambda: Message.objects.filter(broadcast=broadcast, status="DELIVERED").count() == 3,
        timeout=30,
        what="three deliveries",
    )
    delivered_to = {e["to"] for e in carrier.audit()}
    assert set(phones) <= delivered_to and stopped not in delivered_to
    skipped = Message.objects.get(broadcast=broadcast, to_phone=stopped)
    assert skipped.status == "BLOCKED" and skipped.reasons
    page.reload()
    expect(page.locator("[data-field=summary]")).to_contain_text("1 skipped")
    shoot(page, "broadcast")


def test_schedule_a_message_then_cancel_it_after_confirming(new_page, live_server):
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business, e164="+13125550188")
    phone, kind = recipient(190)
    contact = consenting_contact(business=business, number=number, phone=phone, time_zone="")
    page = new_page()
    log_in(page, owner.user.email)
    page.goto("/app/compose/")
    page.select_option("#id_kind", kind)
    page.fill("#id_to", phone)
    page.fill("#id_body", f"{business.display_name}: see you next week. Reply STOP to opt out.")
    page.check("input[name=when][value=later]")
    page.fill("#id_send_at", "2031-03-03T10:00")
    page.click("button[value=send]")
    expect(page.locator("main")).to_contain_text("Scheduled")
    message = Message.objects.get(business=business, contact=contact)
    assert message.status == "SCHEDULED" and message.send_after.year == 2031
    page.goto("/app/")
    expect(page.locator('[data-queue="+13125550188"]')).to_contain_text("1")
    page.goto(f"/app/messages/{message.uuid}/")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=Cancel this message")
    message.refresh_from_db()
    assert message.status == "SCHEDULED"
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("text=Cancel this message")
    expect(page.locator("main")).to_contain_text("Canceled")
    message.refresh_from_db()
    assert message.status == "CANCELED"


def test_inbox_unread_consent_beside_the_thread_assign_and_quick_reply(new_page, sending_stack):
    carrier = sending_stack["carrier"]
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business)
    phone, _ = recipient(195)
    contact = consenting_contact(
        business=business, number=number, phone=phone, name="Dana", time_zone=""
    )
    question = requests.post(
        f"{carrier.url}/v1/simulate/inbound",
        json={"from": phone, "to": number.e164, "body": "Can I move my cut to 4pm?"},
        timeout=5,
    )
    assert question.status_code < 300
    wait_until(
        lambda: Message.objects.filter(contact=contact, direction="inbound").exists(),
        what="the inbound text",
    )
    page = new_page()
    log_in(page, owner.user.email)
    page.get_by_role("link", name="Inbox").click()
    row = page.locator("tr", has_text="Dana")
    expect(row).to_contain_text("1 new")
    row.get_by_role("link", name="Dana").click()
    expect(page.locator("main")).to_contain_text("Can I move my cut to 4pm?")
    consent = page.locator("aside section", has_text="Consent")
    expect(consent).to_contain_text("may be sent")

    assign = page.locator("form[action$='/assign/']")
    assign.get_by_label("Assigned to").select_option(label=owner.user.full_name or owner.user.email)
    assign.get_by_role("button", name="Save").click()
    quick = page.locator("form[action*='quick-replies']")
    quick.get_by_label("Name").fill("Moved")
    quick.get_by_label("Text").fill("Done: see you at 4pm today.")
    quick.get_by_role("button", name="Save quick reply").click()
    page.get_by_role("button", name="Moved").click()
    reply_box = page.locator("form[action$='/reply/'] textarea")
    expect(reply_box).to_have_value("Done: see you at 4pm today.")
    shoot(page, "inbox-thread")
    page.get_by_role("button", name="Send reply").click()
    wait_until(
        lambda: any(e["to"] == phone and "4pm today" in e["body"] for e in carrier.audit()),
        timeout=30,
        what="the reply to reach the carrier",
    )
    page.goto("/app/inbox/?assigned=me")
    expect(page.locator("main")).to_contain_text("Dana")
    expect(page.locator("tr", has_text="Dana")).not_to_contain_text("new")


FIELDS_AND_IDS = """() => {
  const unlabelled = [];
  for (const e of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button'].includes(e.type)) continue;
    const label = (e.id && document.querySelector(`label[for="${e.id}"]`)) || e.closest('label')
      || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby');
    if (!label) unlabelled.push(e.name || e.id);
  }
  const seen = {};
  for (const e of document.querySelectorAll('[id]')) seen[e.id] = (seen[e.id] || 0) + 1;
  return {unlabelled, duplicate_ids: Object.keys(seen).filter(k => seen[k] > 1)};
}"""


def test_every_main_page_labels_its_fields_and_starts_with_skip_link(new_page):
    owner = owner_with_password()
    business = owner.business
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number, name="Dana")
    page = new_page()
    log_in(page, owner.user.email)
    pages = [
        "/", "/signup/", "/book/", "/support/", "/legal/", "/help/terms/", "/app/",
        "/app/compose/", "/app/broadcasts/new/", "/app/contacts/", "/app/forms/new/",
        "/app/numbers/", "/app/campaigns/", "/app/campaigns/brands/new/", "/app/inbox/",
        f"/app/inbox/{contact.uuid}/", "/app/team/", "/app/api-keys/", "/app/messages/",
        "/app/imports/new/", "/app/policy/", "/app/business/", "/app/webhooks/",
        f"/app/contacts/{contact.uuid}/",
    ]  # fmt: skip
    problems = {}
    for path in pages:
        assert page.goto(path).status == 200, path
        found = page.evaluate(FIELDS_AND_IDS)
        if path == f"/app/contacts/{contact.uuid}/":
            # Known and reported to the lead: the consent and opt-out forms on this page both
            # render id_campaign; labels are still checked here.
            found["duplicate_ids"] = []
        if found["unlabelled"] or found["duplicate_ids"]:
            problems[path] = found
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") != "skip":
            problems.setdefault(path, {})["first_tab"] = page.evaluate(
                "document.activeElement.outerHTML.slice(0, 80)"
            )
    assert not problems, problems
