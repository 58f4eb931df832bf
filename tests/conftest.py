"""Shared fixtures: two businesses, a member of each role, logged-in clients, API clients."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.roles import Role
from tests.factories.accounts import BusinessFactory, MembershipFactory

pytest_plugins = ["tests.fixtures.carrier", "tests.fixtures.flush", "tests.browser"]


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def business(db):
    return BusinessFactory()


@pytest.fixture
def other_business(db):
    return BusinessFactory()


@pytest.fixture
def members(business):
    """One membership per role in ``business``."""
    return {role: MembershipFactory(business=business, role=role.value) for role in Role}


@pytest.fixture
def owner(members):
    return members[Role.OWNER]


@pytest.fixture
def other_owner(other_business):
    return MembershipFactory(business=other_business, role=Role.OWNER.value)


def _login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session["current_business"] = str(membership.business.uuid)
    session.save()
    return client


@pytest.fixture
def login():
    """login(client, membership) logs the membership's user in, in that business."""
    return _login


@pytest.fixture
def owner_client(client, owner):
    return _login(client, owner)


def make_api_client(membership, role: str = Role.ADMIN.value) -> APIClient:
    _, secret = services.api_key_create(
        business=membership.business,
        name=f"test {role}",
        role=role,
        by=membership,
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


@pytest.fixture
def api_client(owner):
    """An API client with an admin key of ``business``."""
    return make_api_client(owner)


@pytest.fixture
def other_api_client(other_owner):
    return make_api_client(other_owner)


@pytest.fixture
def staff_user(db):
    """A compliance staff member with a confirmed TOTP device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories.accounts import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    user.totp_device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


@pytest.fixture
def staff_client(client, staff_user):
    """A client logged in to the admin as staff, second factor verified.

    The admin requires a verified OTP device (django-otp); force_login alone is refused.
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(staff_user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = staff_user.totp_device.persistent_id
    session.save()
    client.staff = staff_user
    return client
