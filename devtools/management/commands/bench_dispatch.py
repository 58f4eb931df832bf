"""Benchmark the send path end to end and judge it from the carrier's audit log.

Seeds its own business, approved campaign, N numbers and M consenting contacts, enqueues
M messages through message_enqueue (every gate on) spread evenly over the numbers, then
starts the simulated carrier and W Celery worker processes, drains, and reports.
See messaging/README.md for the figures and what they mean.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from devtools.processes import free_port, tree_cpu
from messaging.workers import worker_argv

ROOT = Path(settings.BASE_DIR)


def _named_cpu(*names: str) -> float:
    """User + system CPU seconds of every live process whose command name is one of
    ``names`` (PostgreSQL backends, redis-server), a server-wide figure."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            head, rest = (entry / "stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[-1] in names:
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _machine_cpu() -> float:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat), so PostgreSQL,
    Redis and the kernel count too."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(x) for x in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Benchmark dispatch under the cap with real workers and the simulated carrier."

    def add_arguments(self, parser):
        parser.add_argument("--numbers", type=int, default=100)
        parser.add_argument("--messages", type=int, default=2000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--carrier-log", required=True)
        parser.add_argument("--report", required=True)
        parser.add_argument("--rate-limit", type=int, default=settings.MESSAGING_RATE_LIMIT)
        parser.add_argument("--rate-window", type=float, default=settings.MESSAGING_RATE_WINDOW)
        parser.add_argument(
            "--probes", type=int, default=200, help="latency probes on idle numbers"
        )
        parser.add_argument(
            "--probe-rate",
            type=float,
            default=10.0,
            help="latency probes per second (single sends from idle numbers, like API calls)",
        )
        parser.add_argument(
            "--bulk-nice",
            type=int,
            default=0,
            help="nice level of the bulk worker (the urgent worker runs at 0)",
        )
        parser.add_argument(
            "--opt-outs",
            type=float,
            default=0.01,
            help="share of numbers whose last recipient says STOP while waiting",
        )
        parser.add_argument(
            "--callbacks",
            action="store_true",
            help="measure delivery-callback ingestion instead of the cap",
        )
        parser.add_argument(
            "--campaign-tpm",
            type=int,
            default=0,
            help="the campaign's per-minute limit (AT&T) in segments per window, as a registrar "
            "would report it; 0 = above the numbers' sum (only the number cap binds)",
        )
        parser.add_argument(
            "--brand-daily",
            type=int,
            default=0,
            help="the brand's daily limit (T-Mobile) in segments per period; 0 = above the "
            "messages sent (never binds)",
        )
        parser.add_argument(
            "--brand-period",
            type=float,
            default=0.0,
            help="length of the daily limit's period in seconds (0 = the calendar day in "
            "Pacific time; a benchmark cannot wait a day)",
        )
        parser.add_argument("--timeout", type=float, default=900.0)

    # --- seeding -----------------------------------------------------------------------------
    def _seed(self, n_numbers: int, n_messages: int, n_probe_numbers: int):
        from accounts.models import Business
        from campaigns.models import Brand, Campaign, PhoneNumber
        from consent import services as consent_services
        from consent.models import Contact

        tag = f"{int(time.time())}"
        business = Business.objects.create(
            legal_name=f"Bench Dental {tag} LLC",
            display_name=f"Bench {tag}",
            website="https://bench.example.com",
            brand_domains=["bench.example.com"],
            industry_description="Dental clinic",
            vetting_status=Business.Vetting.APPROVED,
        )
        brand = Brand.objects.create(
            business=business,
            entity_type="PRIVATE_PROFIT",
            display_name="Bench",
            company_name="Bench LLC",
            ein="12-3456789",
            email="bench@example.com",
            phone="+12025550100",
            street="1 Main St",
            city="Springfield",
            state="IL",
            postal_code="62701",
            vertical="HEALTHCARE",
            identity_status="VERIFIED",
            status=Brand.Status.OK,
        )
        campaign = Campaign.objects.create(
            business=business,
            brand=brand,
            usecase="MIXED",
            sub_usecases=["MARKETING", "CUSTOMER_CARE"],
            description="Appointment reminders and offers for patients of the clinic.",
            message_flow="Patients opt in on our web form with an unticked box.",
            sample1="Bench: your visit is Tue 3pm. Reply STOP to opt out.",
            help_message="Bench: help at help@example.com. Reply STOP to opt out.",
            optout_message="Bench: you are unsubscribed and will receive no more messages.",
            optin_message="Bench: subscribed. Reply HELP for help, STOP to opt out.",
            automated=True,
            number_pool=True,  # more than 49 numbers need a registered number pool
            status=Campaign.Status.APPROVED,
            approved_at=timezone.now(),
        )
        base = int(tag) % 700 * 10000
        numbers = PhoneNumber.objects.bulk_create(
            [
                PhoneNumber(
                    business=business,
                    e164=f"+1{2000000000 + base + i:010d}"[:12],
                    campaign=campaign,
                    status=PhoneNumber.Status.ACTIVE,
                )
                for i in range(n_numbers + n_probe_numbers)
            ]
        )
        total_contacts = n_messages + self.n_probes + (1 if self.n_probes else 0)  # + warm-up
        # Consenting contacts through the consent importer (COPY, attested evidence, the
        # hash-chained ledger): the real bulk path, and quick enough for 100,000.
        t = time.monotonic()
        lines = ["phone,consent_date,consent_source,consent_method"]
        lines += [
            f"+1646{2000000 + i:07d},2026-01-15,Bench web form,web_form"
            for i in range(total_contacts)
        ]
        imp = consent_services.contact_import_create(
            business=business, filename="bench.csv", content=("\n".join(lines) + "\n").encode()
        )
        imp.mapping = {
            "fields": {
                "phone": "phone",
                "consent_date": "consent_date",
                "consent_source": "consent_source",
                "consent_method": "consent_method",
            },
            "custom": [],
        }
        imp.campaign = campaign
        imp.attestation_text = "Bench contacts, collected on our own web form."
        imp.status = imp.Status.QUEUED
        imp.save()
        imp = consent_services.contact_import_run(import_id=imp.pk)
        if imp.consented_count != total_contacts:
            raise CommandError(f"seeding consent failed: {imp.status} {imp.error}")
        contacts = list(Contact.objects.filter(business=business).order_by("phone"))
        self.stdout.write(
            f"seeded {len(contacts)} consenting contacts in {time.monotonic() - t:.1f}s"
        )
        return (
            business,
            numbers[:n_numbers],
            numbers[n_numbers:],
            contacts[:n_messages],
            contacts[n_messages:],
        )

    # --- processes ----------------------------------------------------------------------------
    def _env(self, **extra) -> dict:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def handle(self, *args: Any, **o: Any) -> None:
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            raise CommandError("bench_dispatch needs PostgreSQL (DATABASE_URL).")
        if not settings.CELERY_BROKER_URL.startswith("redis"):
            raise CommandError("bench_dispatch needs the Redis broker (CELERY_BROKER_URL).")
        if o["callbacks"]:
            self._callbacks(o)
            return
        from config.celery_app import app
        from messaging import ratecap, services
        from messaging.models import Message, SendLane

        limit, window = o["rate_limit"], o["rate_window"]
        settings.MESSAGING_RATE_LIMIT, settings.MESSAGING_RATE_WINDOW = limit, window
        settings.MESSAGING_STATUS_CALLBACKS = False
        n, m = o["numbers"], o["messages"]
        n_probe_numbers = max(1, min(o["probes"], max(1, n // 10))) if o["probes"] else 0
        self.n_probes = o["probes"]
        # Earlier benchmark businesses must not drain into this run's carrier.
        from accounts.models import Business

        Message.objects.filter(
            business__in=Business.objects.filter(legal_name__startswith="Bench Dental"),
            status__in=[*Message.WAITING, Message.Status.SENDING],
        ).update(status=Message.Status.CANCELED)
        business, numbers, probe_numbers, contacts, probe_contacts = self._seed(
            n, m, n_probe_numbers
        )
        # The carriers' limits, as the registrar would report them for this registration.
        campaign = numbers[0].campaign
        tpm = o["campaign_tpm"] or (n + n_probe_numbers) * limit
        daily = o["brand_daily"] or 10 * (m + self.n_probes + 1)
        campaign.att_tpm = tpm
        campaign.save(update_fields=["att_tpm"])
        campaign.brand.tmobile_daily_cap = daily
        campaign.brand.save(update_fields=["tmobile_daily_cap"])
        settings.MESSAGING_BRAND_PERIOD = o["brand_period"]
        port = free_port()
        carrier_url = f"http://127.0.0.1:{port}"
        settings.CARRIER_URL = carrier_url
        log_path = Path(o["carrier_log"]).resolve()
        if log_path.exists():
            log_path.unlink()
        app.control.purge()
        # Enqueue everything first (workers not started yet) so every number has a backlog.
        t0 = time.monotonic()
        per_number: dict[int | None, list] = defaultdict(list)  # by from_number_id
        kicks = []
        chunk = 1000
        for start in range(0, len(contacts), chunk):
            items = [
                services.Outgoing(
                    contact=contact,
                    body="Bench: a reminder of your visit on Tuesday. Reply STOP to opt out.",
                    kind="transactional",
                    from_number=numbers[(start + j) % n],
                )
                for j, contact in enumerate(contacts[start : start + chunk])
            ]
            with transaction.atomic():
                msgs = services.message_enqueue_many(business=business, items=items)
            for msg in msgs:
                per_number[msg.from_number_id].append(msg)
                kicks.append(msg.status)
        enqueue_s = time.monotonic() - t0
        statuses = Counter(kicks)
        self.stdout.write(
            f"enqueued {m} in {enqueue_s:.1f}s ({m / enqueue_s:.0f}/s): {dict(statuses)}"
        )
        # Opt-outs that arrive while those messages wait: the last recipient of some numbers.
        share = o["opt_outs"]
        opt_numbers = list(per_number)[: max(1 if share > 0 else 0, int(len(per_number) * share))]
        opted = [per_number[k][-1] for k in opt_numbers]
        # Start the carrier and the workers.
        env = self._env(
            CARRIER_URL=carrier_url,
            MESSAGING_RATE_LIMIT=limit,
            MESSAGING_RATE_WINDOW=window,
            MESSAGING_STATUS_CALLBACKS="false",
            MESSAGING_BRAND_PERIOD=o["brand_period"],
            CELERY_SKIP_CHECKS="1",
        )
        carrier = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
            [
                sys.executable,
                "manage.py",
                "run_carrier",
                "--port",
                str(port),
                "--audit-log",
                str(log_path),
                "--webhook-base",
                "",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        worker_log = open(log_path.with_suffix(".workers.log"), "w")  # noqa: SIM115

        def celery_worker(queue: str, concurrency: int, name: str, nice: int = 0):
            return subprocess.Popen(  # noqa: S603 - fixed argv, no user input
                worker_argv(
                    concurrency=concurrency,
                    loglevel="WARNING",
                    queues=queue,
                    name=f"{name}-{os.getpid()}@%h",
                ),
                cwd=ROOT,
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=(lambda: os.nice(nice)) if nice else None,
            )

        # The bulk worker, and the small worker of the urgent queue (single sends' kicks),
        # as the Procfile runs them; --bulk-nice lowers the bulk worker's CPU priority below
        # the urgent worker's (see the README).
        worker = celery_worker("celery", o["workers"], "bench", o["bulk_nice"])
        urgent = celery_worker(settings.MESSAGING_URGENT_QUEUE, 1, "bench-urgent")
        # Beat too: its recovery task is part of the pipeline (re-kicks lanes whose drain
        # task was lost).
        beat = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=WARNING",
                "--schedule",
                str(log_path.with_suffix(".beat-schedule")),
            ],
            cwd=ROOT,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        report: dict = {}
        try:
            self._wait_http(f"{carrier_url}/health")
            # Workers are up once the first message lands; probes start then.
            ready_by = time.monotonic() + 180
            while time.monotonic() < ready_by and not (
                log_path.exists() and log_path.stat().st_size
            ):
                time.sleep(0.1)
            from consent.services import consent_record_opt_out

            time.sleep(0.5)
            optout_at = {}
            for msg in opted:
                consent_record_opt_out(
                    business=business,
                    contact=msg.contact,
                    method="KEYWORD",
                    scope_all=True,
                    evidence={"source": "bench STOP"},
                )
                optout_at[msg.to_phone] = time.time()
            self.stdout.write(f"{len(opted)} recipients opted out while waiting")
            # One warm-up single send first, not counted: the urgent worker's first task pays
            # for its process's first database connection, HTTP session and caches.
            warmup_ms = None
            if probe_numbers:
                with transaction.atomic():
                    w = services.message_enqueue(
                        business=business,
                        body="Bench warm-up. Reply STOP to opt out.",
                        kind="transactional",
                        contact=probe_contacts[-1],
                        from_number=probe_numbers[-1],
                    )
                ready_by = time.monotonic() + 60
                while time.monotonic() < ready_by:
                    w.refresh_from_db(fields=["status", "sent_at"])
                    if w.status != Message.Status.QUEUED and w.sent_at:
                        warmup_ms = round((w.sent_at - w.created_at).total_seconds() * 1000, 1)
                        break
                    time.sleep(0.05)
            # Latency probes: one message per idle number, paced, while the backlog drains.
            probes = []
            wanted = {str(x.uuid) for msgs in per_number.values() for x in msgs}
            # Single sends arriving at --probe-rate per second in all, spread over the idle
            # probe numbers, each kept under its own cap.
            pace = max(1.0 / o["probe_rate"], window / max(1, limit) / max(1, len(probe_numbers)))
            deadline = time.monotonic() + o["timeout"]
            probe_i = 0
            lanes_waiting: dict[str, int] = {}
            cpu_start = tree_cpu(worker.pid) + tree_cpu(urgent.pid) + tree_cpu(carrier.pid)
            machine_start = _machine_cpu()
            worker_start = tree_cpu(worker.pid)
            carrier_start = tree_cpu(carrier.pid)
            pg_start, redis_start = _named_cpu("postgres"), _named_cpu("redis-server")
            while time.monotonic() < deadline:
                if probe_i < len(probe_contacts) - 1 and probe_numbers:
                    number = probe_numbers[probe_i % len(probe_numbers)]
                    with transaction.atomic():
                        p = services.message_enqueue(
                            business=business,
                            body=f"Bench probe {probe_i}. Reply STOP to opt out.",
                            kind="transactional",
                            contact=probe_contacts[probe_i],
                            from_number=number,
                        )
                    probes.append(p)
                    probe_i += 1
                    time.sleep(pace)
                    continue
                waiting = Message.objects.filter(
                    business=business, status__in=[*Message.WAITING, Message.Status.SENDING]
                ).count()
                if waiting == 0:
                    break
                # what the lanes say they wait for (the message log's explanation)
                for reason, count in Counter(
                    SendLane.objects.filter(business=business)
                    .exclude(waiting_for="")
                    .values_list("waiting_for", flat=True)
                ).items():
                    lanes_waiting[reason] = max(lanes_waiting.get(reason, 0), count)
                time.sleep(0.5)
            cpu = tree_cpu(worker.pid) + tree_cpu(urgent.pid) + tree_cpu(carrier.pid) - cpu_start
            machine_cpu = _machine_cpu() - machine_start
            parts = {
                "workers": tree_cpu(worker.pid) - worker_start,
                "carrier": tree_cpu(carrier.pid) - carrier_start,
                "postgres": _named_cpu("postgres") - pg_start,
                "redis": _named_cpu("redis-server") - redis_start,
            }
            time.sleep(0.3)
        finally:
            for proc in (worker, urgent, carrier, beat):
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in (worker, urgent, carrier, beat):
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            worker_log.close()
        # --- judge from the carrier's audit log ---------------------------------------------
        entries = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
        firsts = [e for e in entries if not e.get("duplicate")]
        landed = Counter(e["message_id"] for e in firsts)
        opted_ids = {str(x.uuid) for x in opted}
        expected = wanted - opted_ids
        lost = len(expected - set(landed))
        duplicated = sum(1 for c in landed.values() if c > 1)
        after_optout = sum(
            1 for e in firsts if e["to"] in optout_at and e["accepted_at"] > optout_at[e["to"]]
        )
        by_number = defaultdict(list)
        for e in firsts:
            by_number[e["from"]].append((e["accepted_at"], e["segments"]))
        max_window = max(
            (ratecap.max_in_window(v, window=window) for v in by_number.values()), default=0
        )
        over_cap = sum(
            1 for v in by_number.values() if ratecap.max_in_window(v, window=window) > limit
        )
        # utilization over whole windows during which every backlog number still had work
        backlog_numbers = {x.e164 for x in numbers}
        bl = sorted(e["accepted_at"] for e in firsts if e["from"] in backlog_numbers)
        ends = [max(t for t, _ in by_number[num]) for num in backlog_numbers if by_number.get(num)]
        first_at = bl[0] if bl else 0.0
        k = int((min(ends) - first_at) // window) if ends else 0
        if k >= 1:
            in_k = sum(1 for t in bl if t < first_at + k * window)
            utilization = in_k / (len(backlog_numbers) * limit * k)
            achieved = in_k / (k * window)
        else:
            utilization, achieved = 0.0, 0.0
        carrier_report = self._judge_carrier_limits(
            firsts, backlog_numbers, tpm=tpm, daily=daily, window=window,
            period=o["brand_period"], number_rate=len(backlog_numbers) * limit,
        )  # fmt: skip
        carrier_report["lanes_waiting_for_max"] = lanes_waiting
        accepted_at = {e["message_id"]: e["accepted_at"] for e in firsts}
        latencies = [
            (accepted_at[str(p.uuid)] - p.created_at.timestamp()) * 1000
            for p in probes
            if str(p.uuid) in accepted_at
        ]
        elapsed = (bl[-1] - bl[0]) if len(bl) > 1 else 0.0
        report = {
            "messages": m,
            "numbers": n,
            "workers": o["workers"],
            "rate_limit": limit,
            "rate_window": window,
            "enqueue_per_s": round(m / enqueue_s, 1),
            "elapsed_s": round(elapsed, 2),
            "achieved_rate_per_s": round(achieved, 1),
            "theoretical_cap_per_s": round(n * limit / window, 1),
            "utilization": round(utilization, 4),
            "utilization_windows": k,
            "max_in_any_window": max_window,
            "numbers_over_cap": over_cap,
            "lost": lost,
            "duplicated": duplicated,
            "sent_after_opt_out": after_optout,
            "opted_out_while_waiting": len(opted),
            "probe_numbers": len(probe_numbers),
            "probes": len(probes),
            "probe_rate_per_s": o["probe_rate"],
            "warmup_send_ms": warmup_ms,
            "bulk_worker_nice": o["bulk_nice"],
            "probes_landed": len(latencies),
            "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
            "latency_p99_ms": round(_percentile(latencies, 0.99), 1),
            "cpu_s_per_message": round(cpu / max(1, len(firsts)), 5),
            "machine_cpu_s_per_message": round(machine_cpu / max(1, len(firsts)), 5),
            # where it went (PostgreSQL and Redis server-wide: other databases count too)
            "cpu_ms_per_message_by_part": {
                k: round(v * 1000 / max(1, len(firsts)), 3) for k, v in parts.items()
            },
            "load_average_1min": round(os.getloadavg()[0], 2),
            "carrier_limits": carrier_report,
            "carrier_accepted": len(firsts),
            "carrier_duplicates_logged": len(entries) - len(firsts),
        }
        Path(o["report"]).write_text(json.dumps(report, indent=2))
        for key, value in report.items():
            self.stdout.write(f"{key:>28}: {value}")

    @staticmethod
    def _judge_carrier_limits(
        firsts, backlog_numbers, *, tpm, daily, window, period, number_rate
    ) -> dict:
        """The campaign's and the brand's limits judged from the carrier's audit log: the
        windows over each limit (0 expected) and how much of the binding one was used."""
        from campaigns.throughput import period_bounds
        from messaging import ratecap

        events = sorted((e["accepted_at"], e["segments"]) for e in firsts)
        # windows over the campaign limit: acceptances whose trailing window holds more
        campaign_over = 0
        total, start = 0, 0
        for ts, weight in events:
            total += weight
            while events[start][0] < ts - window:
                total -= events[start][1]
                start += 1
            campaign_over += total > tpm
        per_period: Counter = Counter()
        for ts, weight in events:
            per_period[period_bounds(ts, period=period)[0]] += weight
        periods_over = sum(1 for v in per_period.values() if v > daily)
        first_at = events[0][0] if events else 0.0
        by_number: dict[str, list[float]] = defaultdict(list)
        for e in firsts:
            if e["from"] in backlog_numbers:
                by_number[e["from"]].append(e["accepted_at"])

        def could_send(at: float, per_number_cap: int) -> int:
            """What the numbers' own backlogs could still give from ``at`` (each at most
            ``per_number_cap``): a limit binds only while the backlog could exceed it."""
            return sum(
                min(sum(1 for t in v if t >= at), per_number_cap) for v in by_number.values()
            )

        # the binding limit: the brand's day if the run filled one, else the smaller rate
        if per_period and max(per_period.values()) >= daily:
            binding = "brand_day"
        else:
            binding = "campaign" if tpm < number_rate else "numbers"
        if binding == "brand_day":
            # whole periods that began after the first acceptance with at least a day's
            # worth still to send
            judged = [p for p in per_period if p >= first_at and could_send(p, 10**9) >= daily]
            used = sum(per_period[p] for p in judged)
            utilization = used / (daily * len(judged)) if judged else 0.0
        else:
            limit = tpm if binding == "campaign" else number_rate
            per_number_cap = number_rate // max(1, len(by_number))
            judged = []
            start_at = first_at
            while events and start_at + window <= events[-1][0]:
                if could_send(start_at, per_number_cap) >= limit:
                    judged.append(start_at)
                start_at += window
            used = sum(w for t, w in events if any(s <= t < s + window for s in judged))
            utilization = used / (limit * len(judged)) if judged else 0.0
        units = len(judged)
        return {
            "campaign_tpm": tpm,
            "brand_daily": daily,
            "brand_period_s": period or "calendar day (Pacific)",
            "campaign_max_in_any_window": ratecap.max_in_window(events, window=window),
            "campaign_windows_over": campaign_over,
            "brand_max_in_a_period": max(per_period.values(), default=0),
            "brand_periods_over": periods_over,
            "brand_segments_by_period": {str(int(k)): v for k, v in sorted(per_period.items())},
            "binding_limit": binding,
            "binding_utilization": round(utilization, 4),
            "binding_units_judged": units,
        }

    def _wait_http(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise CommandError(f"{url} did not come up")

    # --- callbacks ------------------------------------------------------------------------------
    def _callbacks(self, o):
        """Delivery receipts on their own: devtools/bench_callbacks.py."""
        from devtools.bench_callbacks import run

        run(o, stdout=self.stdout)
