"""Login lockout, the admin's second factor, security headers."""

import pytest
from django_otp.oath import totp

from tests.factories.accounts import PASSWORD, UserFactory


@pytest.mark.django_db
class TestLoginLockout:
    def test_five_failures_lock_the_account_from_that_address(self, client, owner):
        email = owner.user.email
        for _ in range(5):
            response = client.post("/accounts/login/", {"username": email, "password": "nope"})
        # now even the right password is refused for a while
        response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
        assert response.status_code == 429
        assert b"Too many failed logins" in response.content
        assert "_auth_user_id" not in client.session

    def test_right_password_works_and_resets_the_count(self, client, owner):
        email = owner.user.email
        for _ in range(3):
            client.post("/accounts/login/", {"username": email, "password": "nope"})
        response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
        assert response.status_code == 302
        client.logout()
        for _ in range(3):
            client.post("/accounts/login/", {"username": email, "password": "nope"})
        response = client.post("/accounts/login/", {"username": email, "password": PASSWORD})
        assert response.status_code == 302


@pytest.mark.django_db
class TestAdminSecondFactor:
    def test_staff_without_a_verified_device_is_refused(self, client, staff_user):
        client.force_login(staff_user)
        response = client.get("/admin/accounts/business/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]

    def test_staff_with_a_verified_device_gets_in(self, staff_client):
        assert staff_client.get("/admin/accounts/business/").status_code == 200

    def _login_form(self, staff_user):
        return {
            "username": staff_user.email,
            "password": PASSWORD,
            "otp_device": staff_user.totp_device.persistent_id,
            "next": "/admin/",
        }

    def test_admin_login_refuses_a_wrong_code(self, client, staff_user):
        response = client.post(
            "/admin/login/", {**self._login_form(staff_user), "otp_token": "000000"}
        )
        assert response.status_code == 200  # refused, form shown again
        assert client.get("/admin/accounts/business/").status_code == 302

    def test_admin_login_with_password_and_code(self, client, staff_user):
        device = staff_user.totp_device
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        response = client.post("/admin/login/", {**self._login_form(staff_user), "otp_token": code})
        assert response.status_code == 302, response.context["form"].errors
        assert client.get("/admin/accounts/business/").status_code == 200

    def test_a_business_owner_is_not_staff(self, client, owner):
        UserFactory()  # noise
        client.force_login(owner.user)
        response = client.get("/admin/")
        assert response.status_code == 302


@pytest.mark.django_db
def test_security_headers_on_portal_pages(owner_client):
    response = owner_client.get("/app/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_docs_page_has_no_inline_script(client):
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert "<script>" not in html  # the split view loads its init script from a URL
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
