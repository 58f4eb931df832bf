"""Browser journeys of the account side: public site, sign-up and vetting, team and API keys,
the dashboard on a phone."""

import re

import pytest
import requests
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Business
from accounts.public.models import AppointmentRequest, SupportRequest
from tests.browser import allow_refusal, dismiss_cookie_banner

from .conftest import shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Salon-owner-pass-42"


def signup(page, *, email="rosa@rosas-salon.example", legal="Rosa's Salon LLC") -> None:
    page.goto("/")
    dismiss_cookie_banner(page)
    page.get_by_role("link", name="Create your account").click()
    page.get_by_label("Your name").fill("Rosa Diaz")
    page.get_by_label("Work email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Business legal name").fill(legal)
    page.get_by_label("Name your clients know").fill("Rosa's Salon")
    page.get_by_label("Business website").fill("https://rosas-salon.example")
    page.get_by_label("What does your business do?").fill(
        "Hair salon offering cuts, colour and styling."
    )
    page.get_by_label("I am 18 or older").check()
    page.get_by_label("I accept the Terms").check()
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/app/")


def test_public_site_book_a_call_and_ask_support(new_page, live_server):
    page = new_page()
    page.goto("/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Text your clients, inside the rules.")
    # the header's "Sign up" button: its label sits in the middle of the button
    offset = page.get_by_role("link", name="Sign up").evaluate(
        """(el) => { const r = document.createRange(); r.selectNodeContents(el);
        const t = r.getBoundingClientRect(), b = el.getBoundingClientRect();
        return [(t.top + t.bottom - b.top - b.bottom) / 2,
                (t.left + t.right - b.left - b.right) / 2]; }"""
    )
    assert abs(offset[0]) <= 1.5 and abs(offset[1]) <= 1.5, offset
    # help links read as a question, with no "?" mark or full stop left dangling after them
    expect(page.locator("main .ticks")).to_contain_text(
        "Registered 10DLC campaigns only. What is that?"
    )
    expect(page.locator('details[data-term="tcr"] .term-q')).to_have_count(0)
    # inline help opens in place, by keyboard as well as by mouse
    term = page.locator('details[data-term="tcr"]').first
    term.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(term.locator(".term-body")).to_contain_text("The Campaign Registry")
    dismiss_cookie_banner(page)
    shoot(page, "landing")

    page.get_by_role("link", name="Book a demo call").click()
    page.get_by_label("What is the call about?").select_option("ONBOARDING")
    page.get_by_label("Your name").fill("Sam Lee")
    page.get_by_label("Email").fill("sam@barber.example")
    page.get_by_label("Phone").fill("not a phone")
    allow_refusal(page, 400, "/book/")  # the form comes back with its errors, status 400
    page.get_by_label("When can we call?").fill("Mondays after 2pm")
    page.get_by_role("button", name="Request the call").click()
    # the error is next to the field, the other answers are kept
    expect(page.locator("#id_phone_error")).to_contain_text("valid phone number")
    expect(page.get_by_label("When can we call?")).to_have_value("Mondays after 2pm")
    page.get_by_label("Phone").fill("(415) 555-0199")
    page.get_by_role("button", name="Request the call").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("your call is requested")
    expect(page.locator("main")).to_contain_text("sam@barber.example")
    appt = AppointmentRequest.objects.get()
    assert appt.phone == "+14155550199" and appt.topic == "ONBOARDING"
    assert mail.outbox[-1].to == ["sam@barber.example"]

    page.goto("/legal/")
    page.get_by_role("link", name="Acceptable use: what cannot be sent").click()
    expect(page.locator("h1")).to_contain_text("Acceptable use")
    page.goto("/support/")
    page.get_by_label("Your name").fill("Sam Lee")
    page.get_by_label("Email").fill("sam@barber.example")
    page.get_by_label("Subject").fill("Pricing")
    page.get_by_label("How can we help?").fill("What does it cost per text?")
    page.get_by_role("button", name="Send to support").click()
    expect(page.locator(".messages")).to_contain_text("We received your question")
    assert SupportRequest.objects.get().subject == "Pricing"


def test_signup_wait_for_vetting_then_staff_approves(new_page, staff_login):
    page = new_page()
    signup(page)
    # a clear status while waiting
    expect(page.locator("[data-vetting]")).to_have_text("Pending review")
    # one banner says it, not a second near-identical message under it
    expect(page.locator("main .banner.info")).to_contain_text("waiting for review")
    expect(page.locator("main .banner.info")).to_contain_text("email you their decision")
    expect(page.locator("main .banner, main .messages li")).to_have_count(1)
    expect(page.locator("#readiness")).to_contain_text("Before you can send")
    business = Business.objects.get(legal_name="Rosa's Salon LLC")
    assert business.vetting_status == "PENDING_REVIEW"

    staff = new_page()
    staff_login(staff)
    staff.goto("/admin/accounts/business/")
    staff.get_by_role("link", name=re.compile("Rosa")).first.wait_for()
    staff.locator(f'input[name="_selected_action"][value="{business.pk}"]').check()
    staff.select_option("select[name=action]", label="Approve")
    staff.get_by_role("button", name="Go").click()
    staff.get_by_role("button", name="Apply").click()
    expect(staff.locator(".messagelist")).to_contain_text("Approve: 1 business")
    # the owner hears it by email (the console backend shows it under make run)
    approval = mail.outbox[-1]
    assert approval.to == ["rosa@rosas-salon.example"]
    assert approval.subject == "Rosa's Salon is approved on Contact Your Client"

    page.reload()
    expect(page.locator("[data-vetting]")).to_have_text("Approved")
    expect(page.locator("main .banner.info")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Review history")
    shoot(page, "dashboard-after-vetting")


def test_team_invitation_and_api_key_shown_once_then_revoked(new_page, live_server):
    page = new_page()
    signup(page, email="owner@nails.example", legal="Nails Co LLC")
    page.get_by_role("link", name="Team").click()
    page.get_by_label("Email").fill("agent@nails.example")
    page.locator("#id_role").select_option("agent")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".messages")).to_contain_text("Invitation sent to agent@nails.example")
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    path = "/" + link.split("/", 3)[3]

    agent = new_page()
    agent.goto(path)
    dismiss_cookie_banner(agent)
    expect(agent.locator("h1")).to_contain_text("Join Rosa's Salon")
    agent.get_by_label("Full name").fill("Alex Agent")
    agent.get_by_label("Password").fill("Agent-pass-12345")
    agent.get_by_label("I am 18 or older").check()
    agent.get_by_role("button", name="Accept invitation").click()
    agent.wait_for_url("**/app/")
    expect(agent.locator(".messages")).to_contain_text("Welcome to")
    # an agent cannot manage API keys: no link, and the page refuses
    expect(agent.get_by_role("link", name="API keys")).to_have_count(0)
    allow_refusal(agent, 403, "/app/api-keys/")
    assert agent.goto("/app/api-keys/").status == 403

    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("Booking system")
    page.get_by_role("button", name="Create key").click()
    secret = page.locator("#new-key").inner_text()
    assert secret.startswith("cyc_")
    shoot(page, "api-keys")
    url = f"{live_server.url}/api/v1/business/"
    headers = {"Authorization": f"Bearer {secret}"}
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    page.reload()
    expect(page.locator("#new-key")).to_have_count(0)  # shown once only

    # irreversible: the browser asks first; dismissing keeps the key
    page.once("dialog", lambda d: d.dismiss())
    page.get_by_role("button", name="Revoke").click()
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("stops working at once")
    assert requests.get(url, headers=headers, timeout=10).status_code == 401


def test_dashboard_charts_on_a_phone_with_keyboard(new_page):
    from accounts.roles import Role
    from messaging.models import Message
    from tests.factories.accounts import MembershipFactory, UserFactory
    from tests.factories.messaging import MessageFactory, sending_number

    user = UserFactory(email="owner@phone.example")
    user.set_password(PASSWORD)
    user.save()
    membership = MembershipFactory(user=user, role=Role.OWNER)
    business = membership.business
    number = sending_number(business=business, e164="+13125550177")
    now = timezone.now()
    for i in range(6):
        MessageFactory(
            business=business,
            from_number=number,
            status=Message.Status.DELIVERED,
            sent_at=now - timezone.timedelta(days=i % 3),
            delivered_at=now - timezone.timedelta(days=i % 3),
        )
    MessageFactory(business=business, from_number=number, status=Message.Status.QUEUED)
    MessageFactory(business=business, from_number=number, status=Message.Status.HELD)

    page = new_page(viewport={"width": 390, "height": 844})
    page.goto("/accounts/login/")
    dismiss_cookie_banner(page)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/app/")
    expect(page.locator("#activity svg.chart")).to_have_count(3)
    expect(page.locator('[data-figure="deliveries"]')).to_have_text("6")
    expect(page.locator("#attention")).to_contain_text("1 message held for review")
    expect(page.locator('[data-queue="+13125550177"]')).to_contain_text("1")
    # nothing wider than the phone's screen
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    widest = page.evaluate(
        """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right
        > window.innerWidth + 1).slice(-5).map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow <= 1, widest
    # the first Tab lands on "Skip to content", which moves focus to the main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the menus fold behind one button, so the first screen is the page, not the menu
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#portal-nav")).to_be_hidden()
    expect(page.locator("#account-nav")).to_be_hidden()
    main_top = page.evaluate("document.querySelector('main h1').getBoundingClientRect().top")
    assert main_top < 0.2 * 844, main_top
    shoot(page, "dashboard-phone")
    # opened (by keyboard), it lists every item once; Escape folds it and returns focus
    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="My account")).to_have_count(1)
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#portal-nav")).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.menuToggle") == ""
    wide = new_page()
    wide.context.add_cookies(page.context.cookies())
    wide.goto("/app/")
    # a wide screen shows both menus and no button; "My account" still once
    expect(wide.get_by_role("button", name="Menu")).to_be_hidden()
    expect(wide.locator("#portal-nav")).to_be_visible()
    expect(wide.get_by_role("link", name="My account")).to_have_count(1)
    shoot(wide, "dashboard")
