"""The portal shows times in the business's time zone (found in a new user's run: a salon in
the Pacific zone read every time in UTC)."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.middleware import SESSION_KEY, CurrentBusinessMiddleware
from tests.factories.accounts import BusinessFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _through_middleware(user, business):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {SESSION_KEY: str(business.uuid)} if business else {}
    seen = {}

    def view(req):
        seen["zone"] = timezone.get_current_timezone_name()
        seen["local"] = timezone.localtime(dt.datetime(2026, 7, 1, 16, 0, tzinfo=dt.UTC))

    CurrentBusinessMiddleware(view)(request)
    return seen


def test_a_members_request_runs_in_the_business_zone_and_the_next_one_does_not():
    business = BusinessFactory(time_zone="America/Phoenix")
    member = MembershipFactory(business=business).user
    seen = _through_middleware(member, business)
    assert seen["zone"] == "America/Phoenix"
    assert seen["local"].strftime("%H:%M") == "09:00"  # 16:00 UTC is 9 a.m. in Phoenix
    assert timezone.get_current_timezone_name() == "UTC"  # not left active after it


def test_an_unknown_zone_saved_before_validation_falls_back_to_the_servers():
    business = BusinessFactory(time_zone="America/Phoenix")
    member = MembershipFactory(business=business).user
    type(business).objects.filter(pk=business.pk).update(time_zone="Mars/Olympus")
    assert _through_middleware(member, business)["zone"] == "UTC"
