"""The REST API: upload a file then send with its id, or give a URL fetched once."""

import base64
import hashlib

import pytest
from django.test import Client

from messaging.media.models import MediaObject
from messaging.models import Message

from .conftest import VCARD, photo, png

pytestmark = pytest.mark.django_db
BODY = "Bright Smile: your new smile. Reply STOP to opt out."


def _upload(api_client, data: bytes, name="smile.jpg"):
    import io

    f = io.BytesIO(data)
    f.name = name
    return api_client.post("/api/v1/media/", {"file": f}, format="multipart")


def test_upload_then_send_with_its_id(api_client, business, mms_number, mms_contact):
    up = _upload(api_client, photo((2000, 1500)))
    assert up.status_code == 201, up.content
    body = up.json()
    assert body["content_type"] == "image/jpeg" and body["had_location"] is True
    assert body["size"] < body["original_size"]
    sent = api_client.post(
        "/api/v1/messages/",
        {"contact": str(mms_contact.uuid), "body": BODY, "kind": "transactional",
         "media": [body["uuid"]]},
        format="json",
    )  # fmt: skip
    assert sent.status_code == 201, sent.content
    out = sent.json()
    assert out["status"] == "QUEUED" and out["segments"] == 1
    assert [m["uuid"] for m in out["media"]] == [body["uuid"]]
    assert out["media"][0]["sha256"] == body["sha256"]

    def ids(files):
        return [(f["uuid"], f["sha256"]) for f in files]

    got = api_client.get(f"/api/v1/messages/{out['uuid']}/").json()
    assert ids(got["media"]) == ids(out["media"])
    listed = api_client.get("/api/v1/messages/").json()
    assert ids(listed["results"][0]["media"]) == ids(out["media"])
    # the signed link downloads the file as stored, without the API key
    path = "/" + out["media"][0]["url"].split("/", 3)[3]
    download = Client().get(path)
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == body["sha256"]


def test_json_base64_upload_and_get(api_client):
    up = api_client.post(
        "/api/v1/media/",
        {"name": "desk.vcf", "content_base64": base64.b64encode(VCARD).decode()},
        format="json",
    )
    assert up.status_code == 201 and up.json()["content_type"] == "text/vcard"
    got = api_client.get(f"/api/v1/media/{up.json()['uuid']}/")
    assert got.status_code == 200 and got.json()["name"] == "desk.vcf"


def test_bad_files_are_field_errors(api_client):
    response = _upload(api_client, b"%PDF-1.7", "x.png")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]
    bad = api_client.post("/api/v1/media/", {"content_base64": "!!"}, format="json")
    assert bad.status_code == 400 and "content_base64" in bad.json()["error"]["fields"]
    empty = api_client.post("/api/v1/media/", {}, format="json")
    assert empty.status_code == 400


def test_media_url_is_fetched_once(api_client, business, mms_contact, file_server):
    file_server.files["/pics/smile.png"] = ("image/png", png())
    sent = api_client.post(
        "/api/v1/messages/",
        {"contact": str(mms_contact.uuid), "body": BODY, "kind": "transactional",
         "media_url": [f"{file_server.url}/pics/smile.png"]},
        format="json",
    )  # fmt: skip
    assert sent.status_code == 201, sent.content
    assert file_server.requests == ["/pics/smile.png"]
    media = MediaObject.objects.get()
    assert media.source == "url" and media.name == "smile.png"
    assert Message.objects.get().media_count == 1


def test_media_url_refusals_are_field_errors(api_client, mms_contact, file_server, settings):
    def send(urls):
        return api_client.post(
            "/api/v1/messages/",
            {"contact": str(mms_contact.uuid), "body": BODY, "kind": "transactional",
             "media_url": urls},
            format="json",
        )  # fmt: skip

    missing = send([f"{file_server.url}/nothing.png"])
    assert (
        missing.status_code == 400
        and "HTTP 404" in missing.json()["error"]["fields"]["media_url"][0]
    )
    settings.MEDIA_FETCH_ALLOW_PRIVATE = False
    private = send([f"{file_server.url}/nothing.png"])
    assert "private" in private.json()["error"]["fields"]["media_url"][0]
    metadata = send(["http://169.254.169.254/latest/meta-data/"])
    assert metadata.status_code == 400
    assert not Message.objects.exists()


def test_unknown_or_foreign_media_ids(api_client, other_business, mms_contact):
    from messaging.media import services as media_services

    theirs = media_services.media_create(business=other_business, data=png())
    response = api_client.post(
        "/api/v1/messages/",
        {"contact": str(mms_contact.uuid), "body": BODY, "kind": "transactional",
         "media": [str(theirs.uuid)]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Unknown media" in response.json()["error"]["fields"]["media"][0]
    assert api_client.get(f"/api/v1/media/{theirs.uuid}/").status_code == 404
    both = api_client.post(
        "/api/v1/messages/",
        {"contact": str(mms_contact.uuid), "body": BODY, "kind": "transactional",
         "media": [str(theirs.uuid)], "media_url": ["http://example.com/x.png"]},
        format="json",
    )  # fmt: skip
    assert both.status_code == 400


def test_schema_documents_media(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/media/" in schema["paths"]
    send = schema["components"]["schemas"]
    assert any("media_url" in (s.get("properties") or {}) for s in send.values())
