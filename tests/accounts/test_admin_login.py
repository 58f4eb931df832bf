"""The admin login as staff use it: email, password and the code from their one authenticator,
with no device to pick."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def _code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _post(client, staff_user, **extra):
    data = {"username": staff_user.email, "password": PASSWORD, "next": "/admin/", **extra}
    return client.post("/admin/login/", data)


def test_one_device_logs_in_with_password_and_code_alone(client, staff_user):
    response = _post(client, staff_user, otp_token=_code(staff_user.totp_device))
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == "/admin/"
    assert client.get("/admin/accounts/business/").status_code == 200


def test_one_device_a_wrong_code_is_refused_as_wrong(client, staff_user):
    response = _post(client, staff_user, otp_token="000000")
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "Invalid token" in errors and "select a device" not in errors
    assert client.get("/admin/accounts/business/").status_code == 302
    staff_user.totp_device.refresh_from_db()
    assert staff_user.totp_device.throttling_failure_count == 1  # counted against it


def test_one_device_no_code_asks_for_the_code(client, staff_user):
    response = _post(client, staff_user)
    assert response.status_code == 200
    assert "Please enter your OTP token." in response.context["form"].non_field_errors()


def test_with_two_devices_the_choice_is_still_asked_for(client, staff_user):
    StaticDevice.objects.create(user=staff_user, name="recovery codes", confirmed=True)
    device = staff_user.totp_device
    response = _post(client, staff_user, otp_token=_code(device))
    assert response.status_code == 200
    assert "Please select a device." in response.context["form"].non_field_errors()
    response = _post(client, staff_user, otp_token=_code(device), otp_device=device.persistent_id)
    assert response.status_code == 302


def test_an_unconfirmed_second_device_does_not_count(client, staff_user):
    StaticDevice.objects.create(user=staff_user, name="not set up", confirmed=False)
    response = _post(client, staff_user, otp_token=_code(staff_user.totp_device))
    assert response.status_code == 302


def test_a_wrong_password_never_reaches_the_device(client, staff_user):
    response = client.post(
        "/admin/login/",
        {
            "username": staff_user.email,
            "password": "wrong",
            "otp_token": _code(staff_user.totp_device),
        },
    )
    assert response.status_code == 200
    assert client.get("/admin/accounts/business/").status_code == 302
