"""Cases schemathesis found; kept as plain tests so they stay fixed."""

import pytest


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["error"]) >= {"code", "message", "fields", "detail"}
    return body["error"]


@pytest.mark.django_db
def test_a_malformed_uuid_filter_is_a_400_not_a_500(api_client):
    _error(api_client.get("/api/v1/consent-events/?campaign=null"), 400)
    _error(api_client.get("/api/v1/consent-proof/?campaign=not-a-uuid"), 400)


@pytest.mark.django_db
def test_an_import_body_that_is_not_an_object_is_a_400(api_client):
    error = _error(api_client.post("/api/v1/imports/", [None, None], format="json"), 400)
    assert "JSON object" in error["message"]


@pytest.mark.django_db
def test_brand_output_documents_blank_optional_fields_as_strings(api_client):
    response = api_client.post(
        "/api/v1/brands/",
        {
            "entity_type": "PRIVATE_PROFIT",
            "display_name": "Bright Smile",
            "company_name": "Bright Smile Dental LLC",
            "ein": "12-3456789",
            "country": "US",
            "email": "support@brightsmile.com",
            "phone": "+12025550100",
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "vertical": "HEALTHCARE",
            "website": "https://brightsmile.com",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["business_contact_email"] == "" and body["stock_exchange"] == ""
