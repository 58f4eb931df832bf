"""Twilio-style callbacks keep nothing personal and do not outlive the retention period."""

from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message
from messaging.twilio_api import privacy
from messaging.twilio_api.models import TwilioCallback
from messaging.twilio_api.services import callback_params
from tests.factories.messaging import MessageFactory

pytestmark = pytest.mark.django_db(transaction=True)  # after live-server tests in the same run


def _callback(message, status, age_days):
    callback = TwilioCallback.objects.create(
        business=message.business,
        message=message,
        kind=TwilioCallback.Kind.STATUS,
        url="https://crm.example.com/status",
        message_status="DELIVERED",
        status=status,
    )
    TwilioCallback.objects.filter(pk=callback.pk).update(
        created_at=timezone.now() - timedelta(days=age_days)
    )
    return callback


def test_final_callbacks_are_deleted_after_the_period(business, settings):
    settings.RETENTION_WEBHOOK_DELIVERY_DAYS = 30
    message = MessageFactory(business=business)
    S = TwilioCallback.Status
    old_done = _callback(message, S.SUCCEEDED, 40)
    old_failed = _callback(message, S.FAILED, 40)
    old_retrying = _callback(message, S.RETRYING, 40)
    recent = _callback(message, S.SUCCEEDED, 3)
    assert privacy.purge_callbacks(now=timezone.now(), dry_run=True) == {"twilio_callbacks": 2}
    assert privacy.purge_callbacks(now=timezone.now(), dry_run=False) == {"twilio_callbacks": 2}
    left = set(TwilioCallback.objects.values_list("pk", flat=True))
    assert left == {old_retrying.pk, recent.pk}
    assert old_done.pk not in left and old_failed.pk not in left


def test_a_callback_sends_what_the_message_holds_now(business):
    message = MessageFactory(
        business=business,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body="my address is 1 Main St",
    )
    callback = TwilioCallback(
        business=business, message=message, kind=TwilioCallback.Kind.INBOUND, url="https://x.y/"
    )
    assert callback_params(callback, message)["Body"] == "my address is 1 Main St"
    Message.objects.filter(pk=message.pk).update(body="", to_phone="")  # erased meanwhile
    message.refresh_from_db()
    params = callback_params(callback, message)
    assert params["Body"] == "" and params["From"] == ""
