"""Faults during a bulk send: real Celery workers and beat (other processes), PostgreSQL,
Redis and the simulated carrier over HTTP, with a scaled-down cap (5 segments per 2 s).

After each fault the outcome is judged from the carrier's audit log and the database:
- lost: a message that should have been sent (not opted out) and never appears in the audit
  log as a first acceptance, or any message not in a settled state (still queued/sending);
- sent twice: an id with more than one audit entry NOT marked ``"duplicate": true`` (those
  lines are the carrier's own idempotency dedup answering a retry with the first id: the
  recipient got one text);
- over the cap: the largest sum of segments in any closed sliding window of 2 s per
  originating number, from ``accepted_at`` of first acceptances;
- after an opt-out: any audit entry to a contact who opted out before the drain started.
One summary line per fault is printed (run with ``-s`` to see them).
"""

import contextlib
import json
import random
import socket
import subprocess
import time
from collections import Counter, defaultdict

import pytest
import requests
from django.db import connection, transaction

from consent.services import consent_record_opt_out
from messaging import ratecap, services
from messaging.models import Message
from messaging.providers import signing
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
LIMIT, WINDOW = 5, 2.0
UNSETTLED = (*Message.WAITING, S.SENDING, S.HELD)


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
    left = Counter(Message.objects.values_list("status", flat=True))
    raise AssertionError(f"timed out waiting for {what}: {dict(left)}")


def _bulk(business, *, numbers: int, per_number: int, opt_outs: int = 1):
    """Enqueue ``numbers × per_number`` messages through every gate, then opt out
    ``opt_outs`` recipients per number while their messages wait in the queue."""
    lines = [sending_number(business=business) for _ in range(numbers)]
    contacts = {n.pk: [consenting_contact(business=business, number=n)] for n in lines}
    for n in lines:
        contacts[n.pk] += [
            consenting_contact(business=business, number=n) for _ in range(per_number - 1)
        ]
    ids, stopped = [], set()
    with transaction.atomic():
        for n in lines:
            for c in contacts[n.pk]:
                m = services.message_enqueue(
                    business=business,
                    body="Reminder: your visit is tomorrow at 3pm.",
                    kind="transactional",
                    contact=c,
                    from_number=n,
                )
                assert m.status == S.QUEUED, m.reasons
                ids.append(str(m.uuid))
    for n in lines:
        for c in contacts[n.pk][-opt_outs:]:
            consent_record_opt_out(business=business, contact=c, method="KEYWORD", scope_all=True)
            stopped.add(c.phone_e164)
    return lines, ids, stopped


def _settled(ids):
    return not Message.objects.filter(uuid__in=ids, status__in=UNSETTLED).exists()


def _judge(fault: str, carrier, lines, ids, stopped) -> dict:
    log = carrier.audit()
    firsts = [e for e in log if not e.get("duplicate")]
    per_number = defaultdict(list)
    for e in firsts:
        per_number[e["from"]].append((e["accepted_at"], e["segments"]))
    landed = Counter(e["message_id"] for e in firsts)
    statuses = dict(Message.objects.filter(uuid__in=ids).values_list("uuid", "status"))
    expected = {str(u) for u, s in statuses.items() if s != S.BLOCKED}
    facts = {
        "enqueued": len(ids),
        "sent": len(landed),
        "blocked_opt_out": sum(1 for s in statuses.values() if s == S.BLOCKED),
        "unsettled": sum(1 for s in statuses.values() if s in UNSETTLED),
        "lost": len(expected - set(landed)),
        "sent_twice": sum(1 for v in landed.values() if v > 1),
        "carrier_dedup": len(log) - len(firsts),
        "unexpected": len(set(landed) - expected),
        "after_opt_out": sum(1 for e in firsts if e["to"] in stopped),
        "max_window": max(ratecap.max_in_window(per_number[n.e164], window=WINDOW) for n in lines),
        "limit": LIMIT,
    }
    print(f"\nFAULT {fault}: " + " ".join(f"{k}={v}" for k, v in facts.items()))
    return facts


def _assert_invariants(facts, *, opt_outs: int):
    assert facts["unsettled"] == 0, facts
    assert facts["lost"] == 0, facts
    assert facts["sent_twice"] == 0, facts
    assert facts["unexpected"] == 0, facts
    assert facts["after_opt_out"] == 0, facts
    assert facts["blocked_opt_out"] == opt_outs, facts
    assert facts["max_window"] <= LIMIT, facts
    assert facts["sent"] == facts["enqueued"] - opt_outs, facts


def test_sigkill_worker_mid_drain(business, send_path, celery_procs):
    lines, ids, stopped = _bulk(business, numbers=4, per_number=40)
    first = celery_procs("worker", "w1")
    celery_procs("worker", "w2")
    celery_procs("beat", "beat")
    _wait(lambda: len(send_path.audit()) >= 30, 90, "thirty accepted")
    first.kill()  # SIGKILL the worker and its pool children: claims are left SENDING
    celery_procs("worker", "w3")
    _wait(lambda: _settled(ids), 150, "every message settled after the kill")
    facts = _judge("sigkill", send_path, lines, ids, stopped)
    _assert_invariants(facts, opt_outs=len(lines))
    # the kill happened mid-drain: not everything had landed when it did
    assert facts["sent"] > 30


def test_carrier_500_429_timeout_and_slow(business, send_path, celery_procs):
    lines, ids, stopped = _bulk(business, numbers=4, per_number=30)
    # deterministic faults for the first requests, then a slow carrier that accepts and answers
    # after the client's time-out (ambiguous: the retry must be deduplicated, not re-sent)
    send_path.control(next=["500", "503", "429", "timeout"] * 4, timeout_delay=3.0, retry_after=1)
    celery_procs("worker", "w1", concurrency=2)
    celery_procs("beat", "beat")
    _wait(lambda: send_path.state()["counters"]["faults"] >= 16, 90, "the injected faults")
    send_path.control(slow=2.5)
    _wait(lambda: len(send_path.audit()) >= 40, 90, "forty accepted")
    send_path.control(slow=0.0)
    _wait(lambda: _settled(ids), 150, "every message settled after the faults")
    facts = _judge("carrier-500/503/429/timeout/slow", send_path, lines, ids, stopped)
    _assert_invariants(facts, opt_outs=len(lines))
    assert send_path.state()["counters"]["faults"] >= 16


def test_duplicate_and_out_of_order_callbacks(
    business, send_path, celery_procs, live_server, settings
):
    lines, ids, stopped = _bulk(business, numbers=2, per_number=15)
    celery_procs("worker", "w1")
    celery_procs("beat", "beat")
    _wait(lambda: _settled(ids), 120, "every message sent")
    facts = _judge("callbacks-send", send_path, lines, ids, stopped)
    _assert_invariants(facts, opt_outs=len(lines))
    sent = list(
        Message.objects.filter(uuid__in=ids, status=S.SENT).values_list("uuid", "provider_id")
    )
    # every receipt three times, shuffled: delivered twice (a duplicate) and a late "sent"
    # that arrives after the final status (out of order); a fifth of them are undelivered
    final = {
        str(u): ("undelivered" if i % 5 == 0 else "delivered") for i, (u, _) in enumerate(sent)
    }
    posts = []
    for u, pid in sent:
        for status in (final[str(u)], final[str(u)], "sent"):
            posts.append({"id": pid, "message_id": str(u), "status": status})
    random.Random(9).shuffle(posts)
    url = f"{live_server.url}/webhooks/carrier/status/"
    with requests.Session() as http:
        for p in posts:
            body = json.dumps(p).encode()
            ts = f"{time.time():.6f}"  # unique: a repeated signature is a replay
            r = http.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Carrier-Timestamp": ts,
                    "X-Carrier-Signature": signing.sign(signing.carrier_secret(), ts, body),
                },
                timeout=10,
            )
            assert r.status_code == 204, r.text
    want = {u: (S.UNDELIVERED if s == "undelivered" else S.DELIVERED) for u, s in final.items()}

    def applied():
        got = dict(Message.objects.filter(uuid__in=list(want)).values_list("uuid", "status"))
        return {str(k): v for k, v in got.items()} == want

    _wait(applied, 60, "every receipt applied (beat applies them every 2 s)")
    final_count = Message.objects.filter(
        uuid__in=list(want), status__in=[S.DELIVERED, S.UNDELIVERED]
    ).count()
    print(
        f"\nFAULT callbacks: receipts_posted={len(posts)} messages={len(want)} "
        f"delivered={sum(v == S.DELIVERED for v in want.values())} "
        f"undelivered={sum(v == S.UNDELIVERED for v in want.values())} "
        f"not_at_final_status={len(want) - final_count}"
    )
    # nothing re-sent because of the receipts
    assert len([e for e in send_path.audit() if not e.get("duplicate")]) == facts["sent"]


class ThrowawayRedis:
    """Our own redis-server (no persistence) on a free port: restarting it loses every
    queued task, like a crash. Never the shared server other sessions use."""

    def __init__(self) -> None:
        from tests.fixtures.carrier import free_port

        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.1)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def throwaway_redis():
    r = ThrowawayRedis()
    r.start()
    yield r
    r.kill()


def test_broker_restart_mid_drain(business, send_path, celery_procs, settings, throwaway_redis):
    # the workers and beat use the throwaway broker; this process's own kicks go to the
    # suite's broker and are never consumed, so the drain starts from beat's recovery
    # (overdue lanes are re-kicked), which is exactly what must survive a broker restart
    settings.CELERY_BROKER_URL = throwaway_redis.url
    lines, ids, stopped = _bulk(business, numbers=4, per_number=30)
    first = celery_procs("worker", "w1")
    celery_procs("beat", "beat")
    _wait(lambda: len(send_path.audit()) >= 25, 90, "twenty-five accepted")
    throwaway_redis.kill()  # every queued and unacked task is gone
    before = len(send_path.audit())
    time.sleep(2)
    throwaway_redis.start()
    # Found here (celery 5.7 / kombu 5.7, Redis transport): after the broker comes back the
    # worker's consumer fails to reconnect ("Error on stopping Hub: AttributeError 'NoneType'
    # object has no attribute 'hostname'") and never consumes again, while beat reconnects.
    # Until that is fixed in the worker's setup, operations replace such a worker (liveness
    # check on consumption); this test does the same and checks that no message is lost,
    # doubled or over the cap across the restart and the replacement.
    first.kill()
    celery_procs("worker", "w2")
    _wait(lambda: _settled(ids), 150, "every message settled after the broker restart")
    facts = _judge("redis-restart", send_path, lines, ids, stopped)
    _assert_invariants(facts, opt_outs=len(lines))
    assert before < facts["sent"]  # the drain went on after the restart


def _terminate_other_backends() -> int:
    """pg_terminate_backend on every other connection to the test database: the workers'
    and beat's (this process keeps its own)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cur.fetchone()[0]


def test_database_connections_broken_mid_drain(business, send_path, celery_procs):
    lines, ids, stopped = _bulk(business, numbers=4, per_number=30)
    celery_procs("worker", "w1")
    celery_procs("beat", "beat")
    _wait(lambda: len(send_path.audit()) >= 25, 90, "twenty-five accepted")
    # break connections every 0.5 s until three were cut (or 10 s passed): a worker holds its
    # connection only while a drain claims or finishes, so one sweep may find none
    terminated, deadline = 0, time.monotonic() + 10
    while terminated < 3 and time.monotonic() < deadline:
        terminated += _terminate_other_backends()
        time.sleep(0.5)
    before = len(send_path.audit())
    _wait(lambda: _settled(ids), 150, "every message settled after the broken connections")
    facts = _judge("db-connections-terminated", send_path, lines, ids, stopped)
    print(f"FAULT db-connections-terminated: backends_terminated={terminated}")
    _assert_invariants(facts, opt_outs=len(lines))
    assert terminated > 0  # the fault happened
    assert before < facts["sent"]  # and the drain went on after it
