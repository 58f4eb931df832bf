"""Text-direction controls (U+202A-U+202E, U+2066-U+2069) are refused in person and business
names, with a field error, and nowhere else: right-to-left letters stay welcome
(security review 2)."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.forms import BusinessProfileForm, SignupForm
from accounts.hygiene import BIDI_MESSAGE
from accounts.models import Business, User
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


# --- the admin and the models: the same validator as the portal's forms (security review 3) ---


def _admin_form(model, obj, rf, staff_user, **changes):
    """The admin's own change form for ``obj``, filled with its current values and ``changes``."""
    model_admin = admin.site._registry[model]
    request = rf.post("/")
    request.user = staff_user
    form_class = model_admin.get_form(request, obj, change=True)
    data = {}
    for field in form_class(instance=obj):
        value = field.value()
        if hasattr(field.field.widget, "decompress"):  # the admin's date and time inputs
            data.update(
                {
                    f"{field.html_name}_{i}": v
                    for i, v in enumerate(field.field.widget.decompress(value))
                }
            )
        elif value is not None:
            data[field.html_name] = value
    return form_class(data={**data, **changes}, instance=obj)


@pytest.mark.parametrize("field", ["legal_name", "display_name"])
def test_the_admin_refuses_a_business_name_with_a_direction_control(
    db, rf, staff_user, business, field
):
    form = _admin_form(Business, business, rf, staff_user, **{field: RLO})
    assert not form.is_valid() and form.errors[field] == [BIDI_MESSAGE]
    kept = _admin_form(Business, business, rf, staff_user, **{field: RTL_NAME})
    assert kept.is_valid(), kept.errors


def test_the_admin_refuses_a_person_name_with_a_direction_control(db, rf, staff_user, owner):
    form = _admin_form(User, owner.user, rf, staff_user, full_name=RLO)
    assert not form.is_valid() and form.errors["full_name"] == [BIDI_MESSAGE]
    kept = _admin_form(User, owner.user, rf, staff_user, full_name=RTL_NAME)
    assert kept.is_valid(), kept.errors


def test_a_contact_name_with_a_direction_control_fails_model_validation(db, business):
    contact = Contact(business=business, phone="+13125550399", name=RLO)
    with pytest.raises(ValidationError) as refused:
        contact.full_clean()
    assert refused.value.message_dict["name"] == [BIDI_MESSAGE]
    contact.name = RTL_NAME
    contact.full_clean()
