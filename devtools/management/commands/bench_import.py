"""Benchmark: import N CSV rows (with consent evidence) and print rows per second.

Runs the real import path (parse, validate, suppression check, COPY + set-based SQL on
PostgreSQL, hash-chained ledger) for a fresh business. By default inside a transaction that
is rolled back at the end: the foreign keys are checked at commit, so the clock stops only
after ``SET CONSTRAINTS ALL IMMEDIATE`` has checked them. ``--keep`` runs the import exactly
as the Celery task does (its own transaction commits: the checks and the WAL flush are
timed) and leaves the data behind (the ledger can never be deleted: use a database of its
own).
Writes the figures as JSON, with the CPU time of this process and of its database backend
(when the server runs on this machine): the machine is shared, CPU seconds are steadier
than wall time.
"""

import contextlib
import json
import os
import platform
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts.models import Business
from consent import import_file
from consent.services.ledger import ledger_write_allow


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend, if it is local."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the server runs elsewhere
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_kb(field: str) -> int | None:
    """This process's VmRSS or VmHWM (peak) in KB, on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_memory() -> None:
    """Start VmHWM over from the current RSS (Linux 4.0+), so the peak is the import's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


class Command(BaseCommand):
    help = "Import N generated contacts and print rows/s (target: 10,000 rows/s on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--output", default=str(settings.VAR_DIR / "bench_import.json"))
        parser.add_argument(
            "--keep",
            action="store_true",
            help="commit, as the task does, and leave the data (use a database of its own)",
        )
        parser.add_argument("--orm", action="store_true", help="use the row-by-row path")
        parser.add_argument(
            "--suppressed", type=int, default=100, help="rows whose number opted out earlier"
        )

    def handle(self, *args, **options):
        if options["keep"]:
            # the set-up commits before the clock starts; the import then runs in its own
            # transaction exactly as the Celery task does, and that commit is timed
            with transaction.atomic():
                imp = self._prepare(options)
            figures = self._measure(imp, options)
        else:
            with transaction.atomic():
                imp = self._prepare(options)
                figures = self._measure(imp, options)
                transaction.set_rollback(True)
        Path(options["output"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["output"]).write_text(json.dumps(figures, indent=2) + "\n")
        before = figures["rows_per_second_before_commit_checks"]
        self.stdout.write(
            f"imported {figures['rows']} rows in {figures['seconds']} s: "
            f"{figures['rows_per_second']} rows/s {figures['measured']} "
            + (f"({before} rows/s before the checks; " if before else "(")
            + f"{figures['path']}; {figures['consented']} consents, "
            f"{figures['suppressed']} suppressed, ledger verified: {figures['ledger_verified']} "
            f"in {figures['verify_seconds']} s; CPU: Python {figures['python_cpu_seconds']} s, "
            f"database {figures['database_cpu_seconds']} s; peak memory added "
            f"{figures['python_peak_memory_added_mb']} MB; load "
            f"{figures['load_average_1min']} on {figures['cpus']} CPUs: {figures['cpu_model']}) "
            f"-> {options['output']}"
        )

    def _prepare(self, options):
        """A fresh business, its member, 100 suppressed numbers and the queued import."""
        from accounts.models import User
        from consent import services
        from consent.models import Suppression

        n = options["rows"]
        rng = random.Random(42)
        lines = ["phone,name,email,tags,consent_date,consent_source,consent_method"]
        phones = []
        for i in range(n):
            # 555-01xx..: fictional exchange blocks spread over area codes
            area = 201 + (i // 1_000_000) % 700
            evidence = "2026-01-15,Website sign-up,web_form" if i % 10 else ",,"
            phones.append(f"+1{area}{555 + (i // 10000) % 400:03d}{i % 10000:04d}")
            lines.append(
                f"{phones[-1]},Person {i},"
                f"p{i}@example.com,{rng.choice(['vip', 'spring', 'news'])},{evidence}"
            )
        content = ("\n".join(lines) + "\n").encode()
        stamp = time.time_ns()
        business = Business.objects.create(
            legal_name="Bench Import LLC",
            display_name=f"Bench import {stamp}",
            website="https://bench.example.com",
            industry_description="benchmark",
        )
        # as in the portal: a member uploads and signs the attestation
        user = User.objects.create_user(email=f"bench-import-{stamp}@example.com")
        # numbers that opted out earlier: the import must refuse them (written as the
        # ledger writes the suppression list: PostgreSQL refuses other writers)
        with transaction.atomic():
            ledger_write_allow()
            Suppression.objects.bulk_create(
                Suppression(
                    business=business,
                    phone_hash=services.phone_hash(business=business, e164=phone),
                    reason="opt_out",
                )
                for phone in rng.sample(phones, min(options["suppressed"], n))
            )
        imp = services.contact_import_create(
            business=business, filename="bench.csv", content=content, actor=user
        )
        # what contact_import_start stores, then the task's work in this process
        imp.mapping = {"fields": {t: t for t in import_file.TARGETS}, "custom": []}
        imp.scope_kind = "marketing"
        imp.attestation_text = "bench"
        imp.attested_by = user
        imp.status = imp.Status.QUEUED
        imp.save()
        return imp

    def _measure(self, imp, options) -> dict:
        from consent import services
        from consent.models import ConsentEvent
        from consent.selectors import ledger_verify

        keep, n = options["keep"], options["rows"]
        _reset_peak_memory()
        rss_before = _memory_kb("VmRSS")
        load_before = os.getloadavg()[0]
        db_cpu_started = _backend_cpu()
        cpu_started = time.process_time()
        started = time.perf_counter()
        imp = services.contact_import_run(
            import_id=imp.pk, use_copy=False if options["orm"] else None
        )
        before_checks = None
        if not keep:
            before_checks = time.perf_counter() - started
            # what the commit would do: check every deferred foreign key now
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        elapsed = time.perf_counter() - started
        peak = _memory_kb("VmHWM")
        cpu = time.process_time() - cpu_started
        db_cpu_ended = _backend_cpu()
        load_after = os.getloadavg()[0]
        verify_started = time.perf_counter()
        report = ledger_verify(business=imp.business)
        verify_elapsed = time.perf_counter() - verify_started
        db_cpu = (
            None
            if db_cpu_started is None or db_cpu_ended is None
            else round(db_cpu_ended - db_cpu_started, 2)
        )
        return {
            "rows": n,
            "seconds": round(elapsed, 3),
            "rows_per_second": round(n / elapsed, 1),
            "measured": (
                "committed (as the task runs it: the import's transaction committed, "
                "its foreign keys checked and its WAL flushed)"
                if keep
                else "with the foreign keys checked (SET CONSTRAINTS ALL IMMEDIATE), "
                "then rolled back"
            ),
            # until the import returned, before the commit-time checks (the figure this
            # command printed before it counted them); not separable when it commits
            "seconds_before_commit_checks": before_checks and round(before_checks, 3),
            "rows_per_second_before_commit_checks": before_checks and round(n / before_checks, 1),
            "status": imp.status,
            "error": imp.error,
            "created": imp.created_count,
            "consented": imp.consented_count,
            "no_evidence": imp.no_evidence_count,
            "suppressed": imp.suppressed_count,
            "rejected": imp.rejected_count,
            "ledger_events": ConsentEvent.objects.filter(business=imp.business).count(),
            "ledger_verified": report.ok,
            "verify_seconds": round(verify_elapsed, 3),
            "path": "orm" if options["orm"] else connection.vendor,
            # the machine is shared: judge the wall time against the load and the CPU time
            # (this process, and the database backend when it is local)
            "python_cpu_seconds": round(cpu, 3),
            # what the import added to this process's memory at its peak (the task's cost)
            "python_peak_memory_added_mb": (
                None if peak is None or rss_before is None else round((peak - rss_before) / 1024)
            ),
            "database_cpu_seconds": db_cpu,
            "load_average_1min": [round(load_before, 2), round(load_after, 2)],
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "target_rows_per_second": 10_000,
        }
