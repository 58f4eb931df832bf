"""The send path end to end: real Celery workers and beat (other processes), PostgreSQL,
the Redis broker and the simulated carrier over HTTP. Judged from the carrier's audit log.
Small cap settings (5 segments per 2 s) keep these to seconds."""

import time
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from messaging import ratecap, services
from messaging.models import Message
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db(transaction=True)
LIMIT, WINDOW = 5, 2.0


@pytest.fixture
def send_path(settings, carrier):
    settings.MESSAGING_RATE_LIMIT = LIMIT
    settings.MESSAGING_RATE_WINDOW = WINDOW
    settings.MESSAGING_SEND_TIMEOUT = 2.0
    settings.MESSAGING_RECOVERY_GRACE = 2.0
    settings.MESSAGING_STATUS_CALLBACKS = False
    settings.CARRIER_URL = carrier.url
    return carrier


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    states = list(
        Message.objects.values_list("purpose", "status", "attempts", "error_code", "send_after")
    )
    raise AssertionError(f"timed out waiting for {what}: {states}")


def _judge(carrier, numbers: dict[str, int]) -> dict:
    """Per-number largest sliding-window sum of segments, and how often each id landed."""
    log = carrier.audit()
    firsts = [e for e in log if not e.get("duplicate")]
    per_number = defaultdict(list)
    for e in firsts:
        per_number[e["from"]].append((e["accepted_at"], e["segments"]))
    return {
        "max_window": {n: ratecap.max_in_window(per_number[n], window=WINDOW) for n in numbers},
        "landed": Counter(e["message_id"] for e in firsts),
    }


def test_cap_holds_with_several_workers_and_a_sigkill(business, send_path, celery_procs):
    numbers = [sending_number(business=business) for _ in range(2)]
    ids = []
    for number in numbers:
        for _ in range(20):
            contact = consenting_contact(business=business, number=number)
            with transaction.atomic():
                m = services.message_enqueue(
                    business=business,
                    body="Reminder: visit tomorrow at 3pm. Reply STOP to opt out.",
                    kind="transactional",
                    contact=contact,
                    from_number=number,
                )
            ids.append(str(m.uuid))
    workers = [celery_procs("worker", f"w{i}") for i in range(3)]
    celery_procs("beat", "beat")
    # Kill one worker while the numbers are mid-drain.
    _wait(lambda: len(send_path.audit()) >= 12, 60, "a dozen accepted")
    workers[0].kill()
    _wait(
        lambda: Message.objects.filter(uuid__in=ids, status=S.SENT).count() == len(ids),
        120,
        "every message sent after the kill",
    )
    facts = _judge(send_path, {n.e164: n.pk for n in numbers})
    assert all(v <= LIMIT for v in facts["max_window"].values()), facts["max_window"]
    assert set(facts["landed"]) == set(ids)  # none lost
    assert max(facts["landed"].values()) == 1  # none sent twice
    # and the cap was actually reached, so the check above meant something
    assert all(v == LIMIT for v in facts["max_window"].values()), facts["max_window"]


def test_stop_during_broadcast_stops_every_later_message(
    business, send_path, celery_procs, live_server, settings
):
    settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    send_path.control(webhook_base=live_server.url)
    number = sending_number(business=business)
    people = [consenting_contact(business=business, number=number, tags=["vip"]) for _ in range(8)]
    stopper = people[1]
    send_path.control(replies={stopper.phone_e164: "STOP"})  # replies to its first text
    broadcasts = []
    for name in ("first", "second"):
        b = services.broadcast_create(
            business=business,
            name=name,
            body=f"{name}: spring offers inside. Reply STOP to end.",
            kind="transactional",
            from_number=number,
            tags=["vip"],
        )
        services.broadcast_start(broadcast=b)
        broadcasts.append(b)
    celery_procs("worker", "w1")
    msgs = Message.objects.filter(broadcast__in=broadcasts)
    _wait(
        lambda: (
            not msgs.filter(status__in=[*Message.WAITING, S.SENDING]).exists()
            and Message.objects.filter(purpose="opt_out_confirmation", status=S.SENT).exists()
        ),
        90,
        "both broadcasts and the confirmation done",
    )
    log = [e for e in send_path.audit() if not e.get("duplicate")]
    to_stopper = [e for e in log if e["to"] == stopper.phone_e164]
    confirmation = Message.objects.get(purpose="opt_out_confirmation")
    # the first broadcast's text, then the one confirmation, and nothing after the STOP
    assert [e["message_id"] for e in to_stopper][-1] == str(confirmation.uuid)
    assert len(to_stopper) == 2
    later = msgs.get(broadcast=broadcasts[1], contact=stopper)
    assert later.status == S.BLOCKED and later.reasons[-1]["code"] in ("opted_out", "suppressed")
    # everyone else got both
    others = {p.phone_e164 for p in people} - {stopper.phone_e164}
    assert Counter(e["to"] for e in log if e["to"] in others) == dict.fromkeys(others, 2)
    assert max(_judge(send_path, {number.e164: 1})["max_window"].values()) <= LIMIT
