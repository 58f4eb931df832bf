# ruff: noqa: S608 - SQL is built only from the models' table names; values are parameters
"""Database capacity: the send path's per-message work on PostgreSQL, and how far one
PostgreSQL carries before the schema must be distributed (Citus).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cyc_h9bench \\
        python manage.py migrate --noinput
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cyc_h9bench \\
        python manage.py bench_db --numbers 200 --per-number 50 --report var/bench_db.json

Replays, with raw SQL on the real tables and indexes and ``--connections`` concurrent
connections, the statements the send path issues per message (see messaging/README.md):

1. enqueue — one transaction per message: INSERT the QUEUED row, kick the lane
   (UPDATE … WHERE drain_at IS NULL OR …), as the API does for a single send;
2. claim — per number and batch: lock the lane (FOR UPDATE SKIP LOCKED), read the active
   slots, read the number, select due rows in queue order FOR UPDATE SKIP LOCKED, mark them
   SENDING with their slot (one UPDATE), write the lane heartbeat;
3. finish — per batch: write every answer (one UPDATE … FROM VALUES), add to the day's
   risk counter;
4. callback store — one INSERT per delivery receipt (the webhook's lean path);
5. callback apply — batches of 2,000: lock receipts, UPDATE the messages, DELETE them.

For each stage it measures rows/s, statements per message, the PostgreSQL backends' own CPU
time (from /proc: the server must run on this host) and WAL bytes per message. The WAL figure
is the server's whole WAL over the stage (pg_current_wal_lsn), so on a shared server other
databases' writes inflate it: an upper bound. The client's
Python time is not the database's, so capacity is derived from the backends' CPU and WAL, not
from the wall clock. Not replayed: the gates' reads at enqueue (number, campaign, consent
state, suppression: about six indexed SELECTs), policy decisions and audit rows, tenant
webhooks; the derivation adds the gates as a stated allowance.

Refuses to run unless the database name contains "bench" (it truncates the messaging
tables).
"""

import json
import os
import queue
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

CLK_TCK = os.sysconf("SC_CLK_TCK")
BATCH = 50  # a number's cap: one claim takes at most 50 one-segment messages


def _conninfo() -> dict:
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "dbname": db["NAME"],
        "user": db["USER"] or "postgres",
        "password": db["PASSWORD"] or None,
        "autocommit": True,
    }


def _backend_cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            raise CommandError(
                "PostgreSQL must run on this host (reads /proc/<pid>/stat)"
            ) from None
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / CLK_TCK


class Stage:
    def __init__(self, name: str, conns: list) -> None:
        self.name, self.conns = name, conns
        self.pids = [c.info.backend_pid for c in conns]
        self.statements = 0
        self.rows = 0
        self.lock = threading.Lock()

    def count(self, statements: int, rows: int = 0) -> None:
        with self.lock:
            self.statements += statements
            self.rows += rows

    def run(self, work, items: list) -> dict:
        tasks: queue.Queue = queue.Queue()
        for item in items:
            tasks.put(item)
        with self.conns[0].cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn()")
            wal0 = cur.fetchone()[0]
        cpu0, t0 = _backend_cpu(self.pids), time.perf_counter()

        def loop(conn):
            while True:
                try:
                    item = tasks.get_nowait()
                except queue.Empty:
                    return
                work(conn, item)

        threads = [threading.Thread(target=loop, args=(c,)) for c in self.conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - t0
        cpu = _backend_cpu(self.pids) - cpu0
        with self.conns[0].cursor() as cur:
            cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal0])
            wal = float(cur.fetchone()[0])
        rows = max(self.rows, 1)
        return {
            "stage": self.name,
            "rows": self.rows,
            "seconds": round(seconds, 3),
            "rows_per_s": round(self.rows / seconds, 1),
            "statements": self.statements,
            "statements_per_message": round(self.statements / rows, 3),
            "db_cpu_s": round(cpu, 2),
            "db_cpu_ms_per_message": round(cpu * 1000 / rows, 4),
            "wal_bytes_per_message": round(wal / rows, 1),
        }


class Command(BaseCommand):
    help = "Measure the send path's database work per message and derive one server's reach."

    def add_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=200)
        parser.add_argument("--businesses", type=int, default=20)
        parser.add_argument("--per-number", type=int, default=50)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--report", default="")
        # the derivation's assumptions (printed with the figures)
        parser.add_argument("--server-cores", type=int, default=16)
        parser.add_argument("--target-utilisation", type=float, default=0.5)
        parser.add_argument("--gate-allowance", type=float, default=1.0)
        parser.add_argument("--wal-budget-mb-s", type=float, default=50.0)

    def handle(self, *args, **opts):
        if connection.vendor != "postgresql" or "bench" not in connection.settings_dict["NAME"]:
            raise CommandError("Run on a PostgreSQL database whose name contains 'bench'.")
        from messaging.models import Message, SendLane, StatusCallback
        from policies.models import RiskCounter

        numbers = self._seed(opts["numbers"], opts["businesses"])
        tables = {
            "msg": Message._meta.db_table,
            "lane": SendLane._meta.db_table,
            "cb": StatusCallback._meta.db_table,
            "risk": RiskCounter._meta.db_table,
            "num": numbers[0].__class__._meta.db_table,
        }
        conns = [psycopg.connect(**_conninfo()) for _ in range(opts["connections"])]
        try:
            results = self._run(numbers, opts["per_number"], conns, tables)
        finally:
            for c in conns:
                c.close()
        derived = self._derive(results, opts)
        report = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average_before_after": [self._load_before, os.getloadavg()],
            "cpu_count": os.cpu_count(),
            "postgres": self._pg_version,
            "numbers": len(numbers),
            "messages": len(numbers) * opts["per_number"],
            "connections": opts["connections"],
            "stages": results,
            "derived": derived,
        }
        self._print(report)
        if opts["report"]:
            Path(opts["report"]).parent.mkdir(parents=True, exist_ok=True)
            Path(opts["report"]).write_text(json.dumps(report, indent=2, default=str))
            self.stdout.write(f"report: {opts['report']}")

    # --- seeding ---------------------------------------------------------------------------

    def _seed(self, n_numbers: int, n_businesses: int):
        from campaigns.models import PhoneNumber
        from messaging.models import Message, SendLane, StatusCallback
        from tests.factories.accounts import BusinessFactory
        from tests.factories.messaging import sending_number

        self._load_before = os.getloadavg()
        with connection.cursor() as cur:
            cur.execute("SELECT version()")
            self._pg_version = cur.fetchone()[0].split(" on ")[0]
            cur.execute(
                f"TRUNCATE {Message._meta.db_table}, {StatusCallback._meta.db_table}, "
                f"{SendLane._meta.db_table} CASCADE"
            )
        numbers = list(PhoneNumber.objects.filter(e164__startswith="+1555")[:n_numbers])
        businesses = [BusinessFactory() for _ in range(max(0, n_businesses))] or [BusinessFactory()]
        i = len(numbers)
        while len(numbers) < n_numbers:
            numbers.append(
                sending_number(business=businesses[i % len(businesses)], e164=f"+1555{i:07d}")
            )
            i += 1
        SendLane.objects.bulk_create(
            [SendLane(business_id=n.business_id, number_id=n.pk) for n in numbers],
            ignore_conflicts=True,
        )
        return numbers

    # --- the stages ------------------------------------------------------------------------

    def _run(self, numbers, per_number: int, conns, t: dict) -> list[dict]:
        results = []

        # 1. enqueue: INSERT + lane kick, one transaction per message
        enqueue = Stage("enqueue", conns)
        insert = f"""
            INSERT INTO {t["msg"]} (uuid, business_id, direction, from_number_id, to_phone, body,
              kind, purpose, automated, priority, encoding, segments, status, reasons, provider,
              provider_id, error_code, error_message, attempts, send_after, created_at,
              queued_at, status_changed_at)
            VALUES (%s, %s, 'outbound', %s, %s, %s, 'transactional', '', false, 20, 'GSM-7', 1,
              'QUEUED', '[]', '', '', '', '', 0, %s, %s, %s, %s)
        """
        kick = f"""
            UPDATE {t["lane"]} SET drain_at = %s, task_eta = %s
            WHERE number_id = %s AND (drain_at IS NULL OR drain_at > %s OR drain_at < %s)
        """
        body = "Your cleaning is on Tuesday at 3pm. Reply STOP to opt out."

        def enqueue_one(conn, item):
            number, k = item
            at = datetime.now(UTC)
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(
                    insert,
                    [uuid.uuid4(), number.business_id, number.pk, f"+1646{k:07d}", body] + [at] * 4,
                )
                cur.execute(kick, [at, at, number.pk, at, at - timedelta(seconds=30)])
            enqueue.count(2, 1)

        items = [(n, i * per_number + k) for k in range(per_number) for i, n in enumerate(numbers)]
        results.append(enqueue.run(enqueue_one, items))

        # 2. claim every number's rows batch by batch (each claim locks, reads, marks);
        # 3. then finish each batch (as if the carrier had answered at once)
        claim, finish = Stage("claim", conns), Stage("finish", conns)
        sql = {
            "lane": f"SELECT id FROM {t['lane']} WHERE number_id = %s FOR UPDATE SKIP LOCKED",
            "slots": f"SELECT slot_frees_at, segments FROM {t['msg']} "
            "WHERE from_number_id = %s AND slot_frees_at > %s",
            "number": f"SELECT n.id, n.business_id, n.campaign_id, n.status FROM {t['num']} n "
            "WHERE n.id = %s",
            "due": f"SELECT id, segments, uuid FROM {t['msg']} "
            "WHERE business_id = %s AND from_number_id = %s AND status IN ('QUEUED','SCHEDULED') "
            "AND send_after <= %s ORDER BY priority, send_after, id LIMIT %s "
            "FOR UPDATE SKIP LOCKED",
            "mark": f"UPDATE {t['msg']} SET status = 'SENDING', attempts = attempts + 1, "
            "claimed_at = %s, status_changed_at = %s, "
            "slot_frees_at = GREATEST(%s, COALESCE(slot_frees_at, %s)) WHERE id = ANY(%s)",
            "beat": f"UPDATE {t['lane']} SET drain_at = %s, last_drain_at = %s WHERE id = %s",
            "answers": f"UPDATE {t['msg']} m SET status = 'SENT', provider = 'simulated', "
            "provider_id = v.pid, sent_at = %s, status_changed_at = %s, slot_frees_at = %s "
            "FROM unnest(%s::bigint[], %s::text[]) AS v(id, pid) "
            "WHERE m.id = v.id AND m.status = 'SENDING' AND m.claimed_at = %s",
            "risk": f"UPDATE {t['risk']} SET sent = sent + %s WHERE business_id = %s AND day = %s",
        }
        batches: list = []  # (number, claimed_at, rows) of every claim, for the finish stage
        batches_lock = threading.Lock()

        def claim_number(conn, number):
            while True:
                at = datetime.now(UTC)
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(sql["lane"], [number.pk])
                    lane = cur.fetchone()
                    cur.execute(sql["slots"], [number.pk, at])
                    cur.fetchall()
                    cur.execute(sql["number"], [number.pk])
                    cur.fetchone()
                    cur.execute(sql["due"], [number.business_id, number.pk, at, BATCH])
                    rows = cur.fetchall()
                    n = 4
                    if rows:
                        pending = at + timedelta(seconds=70.05)
                        cur.execute(sql["mark"], [at, at, pending, pending, [r[0] for r in rows]])
                        cur.execute(sql["beat"], [at, at, lane[0]])
                        n += 2
                claim.count(n, len(rows))
                if not rows:
                    return
                with batches_lock:
                    batches.append((number, at, rows))

        results.append(claim.run(claim_number, numbers))

        sent_uuids: list = []

        def finish_batch(conn, batch):
            number, claimed_at, rows = batch
            done = datetime.now(UTC)
            pids = [f"SM{r[2].hex}" for r in rows]
            with conn.transaction(), conn.cursor() as cur:
                cur.execute(
                    sql["answers"],
                    [
                        done,
                        done,
                        done + timedelta(seconds=60.05),
                        [r[0] for r in rows],
                        pids,
                        claimed_at,
                    ],
                )
                cur.execute(sql["risk"], [len(rows), number.business_id, done.date()])
            finish.count(2, len(rows))
            with batches_lock:
                sent_uuids.extend(pids)

        results.append(finish.run(finish_batch, list(batches)))

        # 4. callback store: one INSERT per receipt, autocommit (the webhook)
        store = Stage("callback_store", conns)
        store_sql = (
            f"INSERT INTO {t['cb']} (provider, provider_id, status, error_code, received_at) "
            "VALUES ('simulated', %s, 'delivered', '', %s)"
        )

        def store_one(conn, pid):
            with conn.cursor() as cur:
                cur.execute(store_sql, [pid, datetime.now(UTC)])
            store.count(1, 1)

        results.append(store.run(store_one, sent_uuids))

        # 5. callback apply: batches of 2,000 under SKIP LOCKED
        apply = Stage("callback_apply", conns)
        apply_sql = {
            "take": f"SELECT id, provider_id FROM {t['cb']} ORDER BY id LIMIT 2000 "
            "FOR UPDATE SKIP LOCKED",
            "update": f"UPDATE {t['msg']} m SET status = 'DELIVERED', delivered_at = %s, "
            "status_changed_at = %s FROM unnest(%s::text[]) AS v(pid) "
            "WHERE m.provider_id = v.pid AND m.status IN ('SENT', 'SENDING')",
            "delete": f"DELETE FROM {t['cb']} WHERE id = ANY(%s)",
        }

        def apply_batches(conn, _):
            while True:
                at = datetime.now(UTC)
                with conn.transaction(), conn.cursor() as cur:
                    cur.execute(apply_sql["take"])
                    batch = cur.fetchall()
                    if not batch:
                        apply.count(1)
                        return
                    cur.execute(apply_sql["update"], [at, at, [b[1] for b in batch]])
                    cur.execute(apply_sql["delete"], [[b[0] for b in batch]])
                apply.count(3, len(batch))

        results.append(apply.run(apply_batches, list(range(len(conns)))))
        return results

    # --- the derivation ----------------------------------------------------------------------

    def _derive(self, results: list[dict], opts) -> dict:
        cpu_ms = sum(r["db_cpu_ms_per_message"] for r in results)
        wal = sum(r["wal_bytes_per_message"] for r in results)
        statements = sum(r["statements_per_message"] for r in results)
        # the gates' reads at enqueue are not replayed: allow as much again as the
        # replayed enqueue stage costs, times --gate-allowance
        enqueue = next(r for r in results if r["stage"] == "enqueue")
        cpu_ms_all = cpu_ms + enqueue["db_cpu_ms_per_message"] * opts["gate_allowance"]
        cores, util = opts["server_cores"], opts["target_utilisation"]
        by_cpu = cores * util * 1000 / cpu_ms_all if cpu_ms_all else float("inf")
        by_wal = opts["wal_budget_mb_s"] * 1e6 / wal if wal else float("inf")
        here = (os.cpu_count() or 1) * util * 1000 / cpu_ms_all if cpu_ms_all else float("inf")
        per_number = settings.MESSAGING_RATE_LIMIT / settings.MESSAGING_RATE_WINDOW
        msgs = min(by_cpu, by_wal)
        return {
            "db_cpu_ms_per_message_replayed": round(cpu_ms, 4),
            "db_cpu_ms_per_message_with_gates": round(cpu_ms_all, 4),
            "wal_bytes_per_message": round(wal, 1),
            "statements_per_message": round(statements, 2),
            "assumptions": {
                "server_cores": cores,
                "target_utilisation": util,
                "gate_allowance_x_enqueue": opts["gate_allowance"],
                "wal_budget_mb_s": opts["wal_budget_mb_s"],
                "messages_per_number_per_s": round(per_number, 4),
            },
            "messages_per_s_by_cpu": round(by_cpu),
            "messages_per_s_by_wal": round(by_wal),
            "messages_per_s_one_server": round(msgs),
            "numbers_one_server": int(msgs / per_number),
            "messages_per_s_this_machine": round(here),
            "numbers_this_machine": int(here / per_number),
        }

    def _print(self, report: dict) -> None:
        w = self.stdout.write
        w(
            f"bench_db: {report['numbers']} numbers, {report['messages']} messages, "
            f"{report['connections']} connections, {report['postgres']}, "
            f"load {report['load_average_before_after']}"
        )
        w(
            f"{'stage':<16}{'rows':>8}{'rows/s':>10}{'stmts/msg':>11}"
            f"{'db cpu ms/msg':>15}{'WAL B/msg':>11}"
        )
        for r in report["stages"]:
            w(
                f"{r['stage']:<16}{r['rows']:>8}{r['rows_per_s']:>10}"
                f"{r['statements_per_message']:>11}{r['db_cpu_ms_per_message']:>15}"
                f"{r['wal_bytes_per_message']:>11}"
            )
        d = report["derived"]
        a = d["assumptions"]
        w(
            f"per message: {d['statements_per_message']} statements, "
            f"{d['db_cpu_ms_per_message_replayed']} ms database CPU replayed "
            f"({d['db_cpu_ms_per_message_with_gates']} with the gates' allowance), "
            f"{d['wal_bytes_per_message']} WAL bytes"
        )
        w(
            f"one server of {a['server_cores']} cores at {a['target_utilisation']:.0%} CPU, "
            f"WAL budget {a['wal_budget_mb_s']} MB/s: {d['messages_per_s_one_server']} messages/s "
            f"(CPU {d['messages_per_s_by_cpu']}, WAL {d['messages_per_s_by_wal']}) = "
            f"{d['numbers_one_server']} numbers at the full cap"
        )
        w(
            f"this machine ({report['cpu_count']} cores, same utilisation): "
            f"{d['messages_per_s_this_machine']} messages/s = {d['numbers_this_machine']} numbers"
        )
