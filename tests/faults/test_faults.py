"""Faults during broadcasts to thousands of contacts on many numbers: real Celery workers
and beat (other processes), PostgreSQL, Redis and the simulated carrier over HTTP, with the
cap scaled down (conftest.LIMIT segments per conftest.WINDOW seconds per number).

Each scenario imports its own 2,000 consenting contacts (40 numbers × 50), starts one
broadcast per number (``broadcast_create`` / ``broadcast_start``: ``message_enqueue_many``,
every gate on), has the last recipient of each broadcast say STOP while the message waits,
injects its fault mid-broadcast (most from a thread while this one is still fanning out)
and waits until every message is settled. Then, from the
carrier's audit log and the database (``scenario.judge``):
- lost: a message not opted out that never appears in the audit log as a first acceptance,
  or any message not settled (still queued / sending / held);
- sent twice: an id with more than one audit entry NOT marked ``"duplicate": true`` (those
  lines are the carrier's idempotency dedup answering a retry with the first id: the
  recipient got one text);
- over the cap: the largest sum of segments in any closed window of WINDOW seconds per
  originating number, from ``accepted_at`` of first acceptances (``ratecap.max_in_window``);
  every number must also reach the cap, or the scenario did not exercise it;
- after an opt-out: any audit entry to a recipient who said STOP before the drain got to
  them.
One line of figures per scenario is printed (run with ``-s`` to see them).
"""

import json
import random
import time
from collections import Counter

import pytest
import requests
from django.db import connection

from messaging import services
from messaging.models import Broadcast, Message
from messaging.providers import signing
from tests.faults import scenario as sc
from tests.faults.servers import database_on, publishing_to

S = Message.Status
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]
NUMBERS, PER_NUMBER = 40, 50  # 2,000 messages per scenario
SETTLE_TIMEOUT = 180
SINGLE_RECEIPTS = 200  # echoed one per request before the rest go in batches of 100


def _sending(b: sc.Broadcasts) -> int:
    return b.messages().filter(status=S.SENDING).count()


def test_sigkill_workers_mid_broadcast(business, fault_settings, carrier, procs):
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    running = procs("worker:w1", "worker:w2", "beat")
    kills = []

    def kill_workers():
        # SIGKILL a worker's whole process group: no warm shutdown, its claims stay SENDING,
        # its ETA continuations and unacked tasks are gone with it. First one worker while
        # the other carries on, and a replacement starts ...
        sc.wait_lines(carrier, b.total // 6)
        running["w1"].kill()
        kills.append((sc.accepted_lines(carrier), _sending(b), time.time()))
        running.update(procs("worker:w3"))
        # ... then every worker at once while claims are in flight: the carrier answers 1 s
        # late (it has the messages already), so the dead workers' claims stay SENDING
        # with the messages landed; recovery must re-send them under the same idempotency
        # keys (the carrier answers with the first id) and one replacement drains the rest
        sc.wait_lines(carrier, b.total // 2)
        carrier.control(slow=1.0)
        sc.wait(lambda: _sending(b) > 0, 30, "claims in flight", b)
        time.sleep(0.3)
        running["w2"].kill()
        running["w3"].kill()
        carrier.control(slow=0.0)
        kills.append((sc.accepted_lines(carrier), _sending(b), time.time()))
        running.update(procs("worker:w4"))

    fault = sc.Fault(kill_workers, "SIGKILL")
    sc.fan_out(b)
    fault.check()
    sc.wait(b.settled, SETTLE_TIMEOUT, "every message settled after the kills", b)
    facts = sc.judge(
        "sigkill-workers",
        carrier,
        b,
        workers_killed=3,
        lines_at_kills="/".join(str(k[0]) for k in kills),
        sending_at_kills="/".join(str(k[1]) for k in kills),
        first_kill_during_fan_out=kills[0][2] < b.fanned_out_at,
    )
    sc.assert_invariants(facts, b)
    assert kills[-1][1] > 0  # the last kill orphaned claims (left SENDING)
    assert facts["carrier_dedup"] > 0  # and their landed messages were re-sent, deduplicated
    assert kills[-1][0] < facts["sent"]  # the drain went on after the last kill


def test_carrier_500_429_timeout_and_slow(business, fault_settings, carrier, procs):
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    procs("worker:w1", "worker:w2", "beat")
    phases = {}

    def misbehave():
        sc.wait_lines(carrier, b.total // 10)
        # each kind once for certain, then drawn per message for 6 s: 500 / 503 (transient),
        # 429 with Retry-After 1 (throttled), time-out (the batch stops there, answers 504
        # after 3 s > our 2 s client time-out: what came before landed, all is retried)
        carrier.control(
            next=["500", "503", "429", "timeout"],
            p_5xx=0.03,
            p_429=0.03,
            p_timeout=0.01,
            timeout_delay=3.0,
            retry_after=1,
        )
        phases["faults_from"] = time.time()
        time.sleep(6)
        # then slow: every message is accepted but answered after 2.5 s, past the client's
        # time-out, so every retry of it must be deduplicated by the carrier, not re-sent
        carrier.control(p_5xx=0, p_429=0, p_timeout=0, slow=2.5)
        time.sleep(3)
        carrier.control(slow=0)
        phases["faults_to"] = time.time()

    fault = sc.Fault(misbehave, "carrier faults")
    sc.fan_out(b)
    fault.check()
    sc.wait(b.settled, SETTLE_TIMEOUT, "every message settled after the faults", b)
    counters = carrier.state()["counters"]
    facts = sc.judge(
        "carrier-500/503/429/timeout/slow",
        carrier,
        b,
        faults_injected=counters["faults"],
        faults_during_fan_out=phases["faults_from"] < b.fanned_out_at,
    )
    sc.assert_invariants(facts, b)
    assert counters["faults"] >= 4
    assert facts["carrier_dedup"] > 0  # ambiguous answers were retried and deduplicated


def _terminate_other_backends(keep: int) -> int:
    """pg_terminate_backend on every connection to the test database but this thread's and
    ``keep`` (the fan-out's): the workers' (beat holds none)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [keep],
        )
        return cur.fetchone()[0]


def test_database_connections_broken_mid_broadcast(business, fault_settings, carrier, procs):
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    procs("worker:w1", "worker:w2", "beat")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        fan_out_pid = cur.fetchone()[0]
    cut = {}

    def break_connections():
        sc.wait_lines(carrier, b.total // 6)
        cut["from_lines"] = sc.accepted_lines(carrier)
        cut["at"] = time.time()
        # every worker connection is cut every 0.3 s for 5 s: claims and finishes fail
        # half-way, tasks die with OperationalError, Django reconnects on the next task
        terminated, until = 0, time.monotonic() + 5
        while time.monotonic() < until:
            terminated += _terminate_other_backends(fan_out_pid)
            time.sleep(0.3)
        cut["terminated"] = terminated
        cut["to_lines"] = sc.accepted_lines(carrier)

    fault = sc.Fault(break_connections, "connection breaker")
    sc.fan_out(b)
    fault.check()
    sc.wait(b.settled, SETTLE_TIMEOUT, "every message settled after the broken connections", b)
    facts = sc.judge(
        "db-connections-terminated",
        carrier,
        b,
        backends_terminated=cut["terminated"],
        lines_during_cuts=f"{cut['from_lines']}..{cut['to_lines']}",
        cuts_during_fan_out=cut["at"] < b.fanned_out_at,
    )
    sc.assert_invariants(facts, b)
    assert cut["terminated"] > 0  # the fault happened
    assert cut["to_lines"] < facts["sent"]  # and the drain went on after it


def test_broker_restart_mid_broadcast(business, fault_settings, carrier, throwaway_redis, procs):
    # The workers, beat and this process's fan-out use the throwaway broker. The broadcasts
    # fan out before the workers start (a publish to a broker that is down fails the fan-out,
    # see docs/reliability.md), so the restart lands with every number mid-drain.
    fault_settings.CELERY_BROKER_URL = throwaway_redis.url
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    with publishing_to(throwaway_redis.url):
        sc.fan_out(b)
    # the workers as production runs them: each under the Procfile's supervisor
    running = procs("run_worker:w1", "run_worker:w2", "beat")
    sc.wait_lines(carrier, b.total // 4)
    throwaway_redis.kill()  # every queued and unacked task is gone with it
    at_kill = sc.accepted_lines(carrier)
    time.sleep(2)
    workers = {w: running[w] for w in ("w1", "w2")}
    throwaway_redis.start()
    # Found here (celery 5.7 / kombu 5.7, Redis transport): a worker whose broker connection
    # drops may not come back: it exits ("Unrecoverable error: AttributeError 'NoneType'
    # object has no attribute 'hostname'" restoring its unacked messages), or stays up and
    # never consumes again. Nothing here replaces a worker: run_worker restarts an exited
    # one and replaces one that stops answering pings while the broker answers.
    sc.wait(b.settled, SETTLE_TIMEOUT, "every message settled after the broker restart", b)
    logs = {w: p.log.read_text(errors="replace") for w, p in workers.items()}
    facts = sc.judge(
        "redis-restart",
        carrier,
        b,
        lines_at_kill=at_kill,
        workers_exited_and_restarted=sum(log.count(") ended (exit ") for log in logs.values()),
        workers_replaced_not_answering=sum(log.count("did not answer") for log in logs.values()),
    )
    sc.assert_invariants(facts, b)
    assert at_kill < facts["sent"]  # the drain went on after the restart
    # the supervisors themselves never gave up: the same two processes run on
    assert all(p.proc.poll() is None for p in workers.values())


def test_database_server_restart_mid_broadcast(
    business, fault_settings, carrier, throwaway_postgres, procs
):
    # A throwaway PostgreSQL cluster holding a copy of the test database (seeded first):
    # this process, the workers and the recovery all use it, and it is stopped with
    # "immediate" (every backend killed, crash recovery on start) and started again while
    # the broadcasts drain. They fan out before the workers start: the fan-out runs in this
    # process, which the restart would cut too.
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    t = time.monotonic()
    throwaway_postgres.copy_database(connection.settings_dict["NAME"], connection.settings_dict)
    copy_s = time.monotonic() - t
    with database_on(throwaway_postgres):
        sc.fan_out(b)
        procs("worker:w1", "worker:w2", "beat")
        sc.wait_lines(carrier, b.total // 4)
        throwaway_postgres.stop("immediate")
        at_stop = sc.accepted_lines(carrier)
        time.sleep(3)
        during_outage = sc.accepted_lines(carrier) - at_stop
        throwaway_postgres.start()
        connection.close()  # this process's connection died with the server
        sc.wait(b.settled, SETTLE_TIMEOUT, "every message settled after the restart", b)
        facts = sc.judge(
            "db-server-restart",
            carrier,
            b,
            lines_at_stop=at_stop,
            lines_while_down=during_outage,
            db_copy_s=round(copy_s, 1),
        )
        sc.assert_invariants(facts, b)
    assert at_stop < facts["sent"]  # the drain went on after the restart


def _post_receipts(http, url: str, receipts: list[dict]) -> None:
    body = json.dumps(receipts[0] if len(receipts) == 1 else {"receipts": receipts}).encode()
    ts = f"{time.time():.6f}"  # a repeated signature is a replay
    r = http.post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Carrier-Timestamp": ts,
            "X-Carrier-Signature": signing.sign(signing.carrier_secret(), ts, body),
        },
        timeout=30,
    )
    assert r.status_code == 204, r.text


def test_duplicate_and_out_of_order_callbacks(
    business, fault_settings, carrier, procs, live_server
):
    # The carrier calls back every receipt to our webhook (batches of 100, as configured);
    # beside it, this test posts each message's final receipt twice more (shuffled, within
    # one batch) and, a round later, a stale "sent" that arrives after the final status.
    fault_settings.MESSAGING_STATUS_CALLBACKS = True
    fault_settings.MESSAGING_WEBHOOK_BASE_URL = live_server.url
    b = sc.seed(business, numbers=NUMBERS, per_number=PER_NUMBER)
    undeliverable = {f"+1646{2000000 + i:07d}" for i in range(0, b.total, 5)}
    carrier.control(undeliverable=sorted(undeliverable))
    procs("worker:w1", "worker:w2", "beat")
    url = f"{live_server.url}/webhooks/carrier/status/"
    posted = Counter()
    done = []

    def echo_receipts():
        rng, seen, stale = random.Random(9), 0, []
        with requests.Session() as http:
            while True:
                finished = bool(done)
                log = carrier.audit()
                new = [e for e in log[seen:] if not e.get("duplicate")]
                seen = len(log)
                batch = list(stale)
                stale = []
                for e in new:
                    final = "undelivered" if e["to"] in undeliverable else "delivered"
                    r = {"id": e["carrier_id"], "message_id": e["message_id"], "status": final}
                    batch += [r, dict(r)]
                    stale.append({**r, "status": "sent"})
                rng.shuffle(batch)
                # the first receipts go one per request (bare, Twilio-style), then batches
                n_single = max(0, SINGLE_RECEIPTS - posted["single"])
                for r in batch[:n_single]:
                    _post_receipts(http, url, [r])
                    posted["single"] += 1
                for i in range(n_single, len(batch), 100):
                    _post_receipts(http, url, batch[i : i + 100])
                    posted["batches"] += 1
                posted["total"] += len(batch)
                if finished and not stale:
                    return
                time.sleep(0.5)

    fault = sc.Fault(echo_receipts, "receipt echo")
    sc.fan_out(b)
    sc.wait(b.settled, SETTLE_TIMEOUT, "every message sent", b)
    done.append(True)
    fault.check()
    want = {}
    for u, phone, status in b.messages().values_list("uuid", "to_phone", "status"):
        if status != S.BLOCKED:
            want[str(u)] = S.UNDELIVERED if phone in undeliverable else S.DELIVERED

    def at_final():
        got = Counter(
            str(u) in want and want[str(u)] == s
            for u, s in b.messages().values_list("uuid", "status")
        )
        return got[True] == len(want)

    sc.wait(at_final, 120, "every receipt applied (the webhook schedules, beat every 2 s)", b)
    counters = carrier.state()["counters"]
    facts = sc.judge(
        "callbacks",
        carrier,
        b,
        carrier_receipts=counters["receipts"],
        carrier_callbacks_taken=counters["callbacks"],
        echoed_receipts=posted["total"],
        echo_requests=f"{posted['single']}+{posted['batches']}",
        delivered=sum(v == S.DELIVERED for v in want.values()),
        undelivered=sum(v == S.UNDELIVERED for v in want.values()),
    )
    sc.assert_invariants(facts, b)
    assert counters["callbacks"] == counters["receipts"] == facts["sent"]
    assert posted["total"] == 3 * facts["sent"]


def test_sigkill_worker_fanning_out_a_broadcast(business, fault_settings, carrier, procs):
    # A broadcast above MESSAGING_BROADCAST_INLINE_MAX recipients is fanned out by a Celery
    # task (services.broadcast_launch, as the portal and the API start it). The worker
    # running that task is SIGKILLed after its first batch of 500 is committed. The cap is
    # raised for this one: what is judged is whether every recipient gets a message.
    fault_settings.MESSAGING_RATE_LIMIT = 500
    b = sc.seed(business, numbers=1, per_number=1500)
    running = procs("worker:w1", "beat")
    draft = services.broadcast_create(
        business=business,
        name="Closure notice",
        body=sc.BODY,
        kind="transactional",
        from_number=b.numbers[0],
        tags=["fault-0"],
    )
    b.broadcasts.append(draft)
    services.broadcast_launch(broadcast=draft)
    sc.wait(lambda: b.messages().count() >= 500, 60, "the fan-out's first batch", b)
    running["w1"].kill()
    killed_at, at_kill = time.monotonic(), b.messages().count()
    procs("worker:w2")
    # the replacement worker and beat's recovery pass (every 5 s), which resumes the fan-out
    # from its cursor once it has been idle past the grace
    sc.wait(
        lambda: b.settled() and time.monotonic() - killed_at > 15,
        SETTLE_TIMEOUT,
        "the broadcast's messages settled",
        b,
    )
    refreshed = services.broadcast_refresh(broadcast=Broadcast.objects.get(pk=draft.pk))
    messages = b.messages().count()
    print(
        f"\nFAULT sigkill-fan-out-task: recipients={draft.recipient_count} "
        f"messages_at_kill={at_kill} messages={messages} "
        f"never_enqueued={draft.recipient_count - messages} broadcast={refreshed.status}"
    )
    assert messages == draft.recipient_count
