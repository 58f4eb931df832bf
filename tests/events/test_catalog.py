"""The event catalog and its documentation: every example is valid against its schema, the
OpenAPI document's webhooks section lists every type, and emitting an unknown type fails."""

import jsonschema
import pytest
import yaml
from django.core.management import call_command

from accounts.events import catalog, openapi, services
from accounts.events.catalog import EventType, obj


def test_every_example_matches_its_schema():
    assert len(catalog.all_types()) >= 22
    for kind in catalog.all_types():
        jsonschema.Draft202012Validator.check_schema(kind.schema)
        jsonschema.validate(kind.example, kind.schema)
        jsonschema.validate(openapi.example_body(kind), openapi.envelope_schema(kind))


def test_a_type_cannot_be_registered_twice_differently():
    catalog.register(catalog.TEST_EVENT)  # the same again: fine
    with pytest.raises(ValueError, match="registered twice"):
        catalog.register(EventType("webhook.test", "other", obj(), {}))


@pytest.mark.django_db
def test_unknown_types_are_refused(business):
    with pytest.raises(ValueError, match="unknown event types"):
        services.event_emit(business=business, type="message.exploded", data={})


@pytest.mark.django_db
def test_the_openapi_document_lists_every_event_with_schema_and_example(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["openapi"].startswith("3.1")
    assert set(schema["webhooks"]) == set(catalog.names())
    components = schema["components"]["schemas"]
    for name, item in schema["webhooks"].items():
        body = item["post"]["requestBody"]["content"]["application/json"]
        ref = body["schema"]["$ref"].rsplit("/", 1)[1]
        headers = {p["name"] for p in item["post"]["parameters"]}
        assert {"Webhook-Id", "Webhook-Signature", "Webhook-Timestamp"} <= headers
        jsonschema.validate(body["example"], components[ref])
        assert body["example"]["type"] == name
