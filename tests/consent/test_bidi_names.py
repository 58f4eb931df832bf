"""Text-direction controls (U+202A-U+202E, U+2066-U+2069) are refused in person and business
names, with a field error, and nowhere else: right-to-left letters stay welcome
(security review 2)."""

import pytest
from django.urls import reverse

from accounts.forms import BusinessProfileForm, SignupForm
from accounts.hygiene import BIDI_MESSAGE
from accounts.privacy.forms import ProfileForm
from consent.models import Contact

RLO = "Bob\u202emoc.knab"
CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
RTL_NAME = "\u05d3\u05e0\u05d4 \u0644\u064a\u0644\u0649"


@pytest.mark.parametrize("control", CONTROLS)
def test_api_refuses_a_contact_name_with_a_direction_control(api_client, control):
    response = api_client.post(
        reverse("api-contacts"),
        {"phone": "(312) 555-0371", "name": f"Lee{control}Park"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["name"] == [BIDI_MESSAGE]
    assert not Contact.objects.filter(phone="+13125550371").exists()


def test_api_keeps_right_to_left_letters_in_a_name(api_client):
    response = api_client.post(
        reverse("api-contacts"),
        {"phone": "(312) 555-0372", "name": RTL_NAME},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (
        Contact.objects.get(phone="+13125550372").name
        == "\u05d3\u05e0\u05d4 \u0644\u064a\u0644\u0649"
    )


def test_api_refuses_it_on_a_correction_too(api_client, business):
    from tests.factories.consent import ContactFactory

    contact = ContactFactory(business=business, phone="+13125550373", name="Lee Park")
    url = reverse("api-contact", kwargs={"contact_uuid": contact.uuid})
    response = api_client.patch(url, {"name": RLO}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]
    contact.refresh_from_db()
    assert contact.name == "Lee Park"


def test_portal_name_forms_refuse_direction_controls():
    profile = ProfileForm(data={"full_name": RLO})
    assert not profile.is_valid() and profile.errors["full_name"] == [BIDI_MESSAGE]
    business = BusinessProfileForm(data={"display_name": RLO, "website": "https://example.com"})
    assert not business.is_valid() and business.errors["display_name"] == [BIDI_MESSAGE]
    signup = SignupForm(data={"full_name": RLO, "legal_name": RLO, "display_name": RLO})
    signup.is_valid()
    for field in ("full_name", "legal_name", "display_name"):
        assert BIDI_MESSAGE in signup.errors[field]
    assert ProfileForm(data={"full_name": "\u05d3\u05e0\u05d4 Lee"}).is_valid()


def test_public_optin_form_refuses_a_name_with_a_direction_control(business):
    from accounts.errors import ValidationFailed
    from consent import services
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business)
    with pytest.raises(ValidationFailed) as refused:
        services.optin_form_submit(
            form=form,
            phone="(312) 555-0374",
            name=RLO,
            consent=True,
            age_confirmed=True,
            ip="203.0.113.9",
            user_agent="test",
            page_url="",
            snapshot_sha256="",
        )
    assert refused.value.fields["name"] == [BIDI_MESSAGE]
    assert not Contact.objects.filter(phone="+13125550374").exists()
