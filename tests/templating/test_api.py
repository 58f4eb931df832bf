"""Templates over the REST API: CRUD, a rendering preview, a send through every gate."""

import pytest

from messaging.models import Message
from tests.factories.messaging import consenting_contact

pytestmark = pytest.mark.django_db
BODY = 'Hi {{ first_name | default:"there" }}, your code is {{ var.code }}. Reply STOP to opt out.'


def test_template_crud_render_and_send(api_client, business, number, other_api_client):
    r = api_client.post(
        "/api/v1/templates/", {"name": "Code", "body": BODY, "kind": "transactional"}, format="json"
    )
    assert r.status_code == 201, r.json()
    template = r.json()
    assert template["merge_fields"] == ["first_name", "var.code"] and template["verdict"] == "allow"
    bad = api_client.post("/api/v1/templates/", {"name": "x", "body": "{{ nope }}"}, format="json")
    assert bad.status_code == 400 and "body" in bad.json()["error"]["fields"]
    url = f"/api/v1/templates/{template['uuid']}/"
    assert api_client.get(url).json()["name"] == "Code"
    assert other_api_client.get(url).status_code == 404
    assert api_client.get("/api/v1/templates/").json()["results"][0]["uuid"] == template["uuid"]

    contact = consenting_contact(business=business, number=number, name="Mo Diaz")
    preview = api_client.post(
        f"{url}render/", {"to": contact.phone_e164, "variables": {"code": "8812"}}, format="json"
    )
    assert preview.status_code == 200, preview.json()
    assert preview.json()["body"].startswith("Hi Mo, your code is 8812.")
    assert preview.json()["segments"] == 1
    by_uuid = api_client.post(f"{url}render/", {"contact": str(contact.uuid)}, format="json")
    assert by_uuid.json()["body"].startswith("Hi Mo, your code is .")
    anyone = api_client.post(f"{url}render/", {}, format="json")
    assert anyone.json()["body"].startswith("Hi there,")
    bad_vars = api_client.post(f"{url}render/", {"variables": ["x"]}, format="json")
    assert bad_vars.status_code == 400

    sent = api_client.post(
        f"{url}send/",
        {
            "contact": str(contact.uuid),
            "variables": {"code": "4410"},
            "from_number": str(number.uuid),
        },
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    message = Message.objects.get(uuid=sent.json()["uuid"])
    assert message.body.startswith("Hi Mo, your code is 4410.") and message.status == "QUEUED"
    assert api_client.post(f"{url}send/", {}, format="json").status_code == 400

    patched = api_client.patch(url, {"name": "Codes"}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Codes"
    assert api_client.delete(url).status_code == 204
    assert api_client.get(url).status_code == 404
