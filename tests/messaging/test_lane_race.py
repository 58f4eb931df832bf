"""A text queued while a drain of its number settles the lane is not stranded.

The race (found behind a flaky billing journey, tests/billing/test_browser.py, whose worker
once never sent the last of four texts): the drain's claim looks at the queue, finds it
empty and, in the same transaction, writes an idle lane. A text committed after that look
but before the claim commits kicks the lane as it stood before (a drain expected: its
UPDATE skips the row without waiting for the claim's lock) and sends no task; the claim
then commits the idle lane. Nothing drained the number again until its next send (the
beat's recovery looked at overdue lanes, not idle ones; it does now, as a backstop, after
its grace). The drain now looks once more after its claim commits.

Here the claim is held at that exact point (a trigger on the lane's UPDATE waits for an
advisory lock this test holds), on a second connection, while the text is queued.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db import connections as db_connections

from messaging import dispatch, services
from messaging.models import Message, SendLane
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db(transaction=True)
LOCK = 918_273  # the advisory lock the held claim waits for


@pytest.fixture
def claim_pause():
    """While the test holds the lock, a transaction that UPDATEs a lane row waits there
    (after the claim's last look at the queue, before its commit)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION test_lane_pause() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN PERFORM pg_advisory_xact_lock_shared({LOCK}); RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER test_lane_pause BEFORE UPDATE ON messaging_sendlane "
            "FOR EACH ROW EXECUTE FUNCTION test_lane_pause()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock_all()")
        cursor.execute("DROP TRIGGER test_lane_pause ON messaging_sendlane")
        cursor.execute("DROP FUNCTION test_lane_pause()")


def _send(business, number, contact):
    return services.message_enqueue(
        business=business,
        body="Your visit is at 3pm. Reply STOP to opt out.",
        kind="transactional",
        contact=contact,
        from_number=number,
    )


def _waiting_for_the_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND wait_event = 'advisory' AND datname = current_database()"
        )
        return bool(cursor.fetchone()[0])


def test_a_text_queued_while_the_drain_settles_the_lane_gets_a_drain(
    business, provider, claim_pause
):
    number = sending_number(business=business)
    contacts = [consenting_contact(business=business, number=number) for _ in range(2)]
    first = _send(business, number, contacts[0])  # kicks the lane: a drain is expected
    assert first.status == Message.Status.QUEUED

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK])
    drained: dict = {}

    def drain():  # the worker's drain, on its own connection
        try:
            drained.update(dispatch.drain_number(number.pk))
        finally:
            db_connections.close_all()

    worker = threading.Thread(target=drain)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not _waiting_for_the_lock():  # the claim took the first, saw nothing more
            assert time.monotonic() < deadline, "the drain never reached the lane's UPDATE"
            assert worker.is_alive(), drained
            time.sleep(0.05)
        second = _send(business, number, contacts[1])  # committed now, its kick skipped
        assert second.status == Message.Status.QUEUED
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK])
        worker.join(60)
    assert drained["sent"] == 1

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Message.Status.SENT
    assert second.status == Message.Status.QUEUED
    # a drain is expected for the second text (the kick sent its task), not an idle lane
    lane = SendLane.objects.get(number=number)
    assert lane.drain_at is not None and lane.task_eta is not None
    # and that drain sends it (the task's body, run here)
    dispatch.drain_number(number.pk)
    second.refresh_from_db()
    assert second.status == Message.Status.SENT


def test_the_recovery_kicks_an_idle_lane_with_texts_due(business, settings):
    # the backstop: whatever left a lane idle with a text due, the beat's recovery drains it
    number = sending_number(business=business)
    text = _send(business, number, consenting_contact(business=business, number=number))
    late = text.send_after - timedelta(seconds=settings.MESSAGING_RECOVERY_GRACE + 5)
    Message.objects.filter(pk=text.pk).update(send_after=late)
    SendLane.objects.filter(number=number).update(drain_at=None, task_eta=None)  # idle
    assert dispatch.recover()["kicked"] == 1
    lane = SendLane.objects.get(number=number)
    assert lane.drain_at is not None and lane.task_eta is not None
    assert dispatch.recover()["kicked"] == 0  # a drain is expected now: not kicked twice
