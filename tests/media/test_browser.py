"""The MMS journey in a real browser (Debian's chromium through Playwright) against the live
portal, the simulated carrier over HTTP (both directions) and a real Celery worker: a
business sends a picture to a consented client from the compose page and from the API; it
reaches the carrier through a signed URL (the audit log holds its SHA-256); the client's
picture reply shows in the inbox thread and opens full size."""

import hashlib
import io

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from messaging.media.models import MediaObject
from messaging.models import Message
from tests.conftest import make_api_client
from tests.factories.messaging import consenting_contact, sending_number
from tests.portal.conftest import shoot, wait_until
from tests.portal.test_journey_texting import log_in, owner_with_password

from .conftest import photo

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CAPTION = "Bright Smile: your whitening result, as promised. Reply STOP to opt out."


def _sha(media: MediaObject) -> str:
    with media.file.open("rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_picture_from_the_portal_and_the_api_then_the_clients_picture_in_the_inbox(
    new_page, sending_stack, tmp_path
):
    carrier = sending_stack["carrier"]
    owner = owner_with_password(email="owner@smile.example")
    business = owner.business
    number = sending_number(business=business, campaign__mms=True)
    contact = consenting_contact(business=business, number=number, name="Robin", time_zone="")
    picture = tmp_path / "whitening.jpg"
    picture.write_bytes(photo((2400, 1800), description="after whitening"))

    # --- from the portal: upload, preview with size and price, send ---------------------------
    page = new_page()
    log_in(page, owner.user.email)
    page.goto("/app/compose/")
    page.select_option("#id_kind", "transactional")
    page.fill("#id_to", contact.phone_e164)
    page.fill("#id_body", CAPTION)
    page.set_input_files("#id_attachments", str(picture))
    expect(page.locator("#media-preview img")).to_have_count(1)
    expect(page.locator("#media-summary")).to_contain_text("1 file")
    expect(page.locator("#media-summary")).to_contain_text("one MMS")
    page.click("button[value=check]")
    expect(page.locator("#precheck")).to_contain_text("Ready to send")
    expect(page.locator("#precheck")).to_contain_text("One MMS with 1 file")
    expect(page.locator("#media-attached img")).to_have_count(1)  # kept for the send
    shoot(page, "compose-mms")
    page.click("button[value=send]")
    expect(page.locator("h1")).to_have_text("Outbound message")
    portal = Message.objects.get(business=business, direction="outbound")
    assert portal.media_count == 1 and portal.segments == 1
    sent_media = portal.media.get().media
    assert sent_media.had_location and sent_media.size <= 500_000
    wait_until(
        lambda: Message.objects.filter(pk=portal.pk, status="DELIVERED").exists(),
        timeout=40,
        what="the MMS to be delivered",
    )
    (entry,) = [e for e in carrier.audit() if e["message_id"] == str(portal.uuid)]
    assert entry["media_count"] == 1
    assert entry["media"][0]["sha256"] == sent_media.sha256 == _sha(sent_media)
    assert entry["media"][0]["bytes"] == sent_media.size

    # --- from the API: upload, then send with its id ---------------------------------------
    api = make_api_client(owner)
    card = io.BytesIO(photo((640, 480), gps=False))
    card.name = "offer.jpg"
    stored = api.post("/api/v1/media/", {"file": card}, format="multipart").json()
    response = api.post(
        "/api/v1/messages/",
        {"contact": str(contact.uuid), "body": CAPTION, "kind": "transactional",
         "media": [stored["uuid"]]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    api_uuid = response.json()["uuid"]
    wait_until(
        lambda: any(e["message_id"] == api_uuid for e in carrier.audit()),
        timeout=40,
        what="the API's MMS at the carrier",
    )
    (entry,) = [e for e in carrier.audit() if e["message_id"] == api_uuid]
    assert entry["media"][0]["sha256"] == stored["sha256"]

    # --- the client answers with a picture ------------------------------------------------
    reply = requests.post(
        f"{carrier.url}/v1/simulate/inbound",
        json={"from": contact.phone_e164, "to": number.e164, "body": "Looks great!",
              "picture": "my new smile"},
        timeout=10,
    )  # fmt: skip
    assert reply.status_code == 202
    inbound = wait_until(
        lambda: Message.objects.filter(business=business, direction="inbound").first(),
        what="the client's picture",
    )
    assert inbound.media_count == 1
    page.goto("/app/inbox/")
    page.get_by_role("link", name="Robin").first.click()
    thread_picture = page.locator("main .media-list img")
    expect(thread_picture).to_have_count(3)  # two sent, one received
    last = page.locator("main .media-list a.media-open").last
    expect(last.locator("img")).to_have_attribute("alt", "Picture 1 (open full size)")
    for i in range(3):  # thumbnails load lazily, as they come into view
        thread_picture.nth(i).scroll_into_view_if_needed()
    # every thumbnail was served (not a broken image)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('main .media-list img'))"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    shoot(page, "inbox-mms")
    with page.expect_response(lambda r: "/app/media/" in r.url) as opened:
        last.click()
    full = opened.value
    assert full.status == 200 and full.header_value("content-type") == "image/jpeg"
    received = inbound.media.get().media
    image = Image.open(io.BytesIO(full.body()))
    assert image.size == (received.width, received.height) and not image.getexif()
