"""Benchmark: import N CSV rows (with consent evidence) and print rows per second.

Runs the real import path (parse, validate, suppression check, COPY + set-based SQL on
PostgreSQL, hash-chained ledger) for a fresh business inside a transaction that is rolled
back at the end (``--keep`` commits it). The foreign keys are checked at commit; the clock
stops only after they have been checked, so the figure is what a committed import costs.
Writes the figures as JSON, with the CPU time of this process and of its database backend
(when the server runs on this machine): the machine is shared, CPU seconds are steadier
than wall time.
"""

import json
import os
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from accounts.models import Business


class _Rollback(Exception):
    pass


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


class Command(BaseCommand):
    help = "Import N generated contacts and print rows/s (target: 10,000 rows/s on PostgreSQL)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--output", default=str(settings.VAR_DIR / "bench_import.json"))
        parser.add_argument("--keep", action="store_true", help="commit instead of rolling back")
        parser.add_argument("--orm", action="store_true", help="use the row-by-row path")
        parser.add_argument(
            "--suppressed", type=int, default=100, help="rows whose number opted out earlier"
        )

    def handle(self, *args, **options):
        from accounts.models import User
        from consent import services
        from consent.models import ConsentEvent, Suppression

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
        figures = {}
        try:
            with transaction.atomic():
                stamp = time.time_ns()
                business = Business.objects.create(
                    legal_name="Bench Import LLC",
                    display_name=f"Bench import {stamp}",
                    website="https://bench.example.com",
                    industry_description="benchmark",
                )
                # as in the portal: a member uploads and signs the attestation
                user = User.objects.create_user(email=f"bench-import-{stamp}@example.com")
                # numbers that opted out earlier: the import must refuse them
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
                mapping = {
                    "phone": "phone",
                    "name": "name",
                    "email": "email",
                    "tags": "tags",
                    "consent_date": "consent_date",
                    "consent_source": "consent_source",
                    "consent_method": "consent_method",
                }
                # what contact_import_start stores, then the task's work in this process
                imp.mapping = {"fields": mapping, "custom": []}
                imp.scope_kind = "marketing"
                imp.attestation_text = "bench"
                imp.attested_by = user
                imp.status = imp.Status.QUEUED
                imp.save()
                load_before = os.getloadavg()[0]
                db_cpu_started = _backend_cpu()
                cpu_started = time.process_time()
                started = time.perf_counter()
                imp = services.contact_import_run(
                    import_id=imp.pk, use_copy=False if options["orm"] else None
                )
                before_checks = time.perf_counter() - started
                # what the commit would do: check every deferred foreign key now
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                elapsed = time.perf_counter() - started
                cpu = time.process_time() - cpu_started
                db_cpu_ended = _backend_cpu()
                load_after = os.getloadavg()[0]
                verify_started = time.perf_counter()
                from consent.selectors import ledger_verify

                report = ledger_verify(business=business)
                verify_elapsed = time.perf_counter() - verify_started
                db_cpu = (
                    None
                    if db_cpu_started is None or db_cpu_ended is None
                    else round(db_cpu_ended - db_cpu_started, 2)
                )
                figures = {
                    "rows": n,
                    "seconds": round(elapsed, 3),
                    "rows_per_second": round(n / elapsed, 1),
                    # until the import returned, before the commit-time checks (the figure
                    # this command printed before it counted them)
                    "seconds_before_commit_checks": round(before_checks, 3),
                    "rows_per_second_before_commit_checks": round(n / before_checks, 1),
                    "status": imp.status,
                    "error": imp.error,
                    "created": imp.created_count,
                    "consented": imp.consented_count,
                    "no_evidence": imp.no_evidence_count,
                    "suppressed": imp.suppressed_count,
                    "rejected": imp.rejected_count,
                    "ledger_events": ConsentEvent.objects.filter(business=business).count(),
                    "ledger_verified": report.ok,
                    "verify_seconds": round(verify_elapsed, 3),
                    "path": "orm" if options["orm"] else connection.vendor,
                    # the machine is shared: judge the wall time against the load and the
                    # CPU time (this process, and the database backend when it is local)
                    "python_cpu_seconds": round(cpu, 3),
                    "database_cpu_seconds": db_cpu,
                    "load_average_1min": [round(load_before, 2), round(load_after, 2)],
                    "cpus": os.cpu_count(),
                    "target_rows_per_second": 10_000,
                }
                if not options["keep"]:
                    raise _Rollback
        except _Rollback:
            pass
        Path(options["output"]).parent.mkdir(parents=True, exist_ok=True)
        Path(options["output"]).write_text(json.dumps(figures, indent=2) + "\n")
        self.stdout.write(
            f"imported {figures['rows']} rows in {figures['seconds']} s: "
            f"{figures['rows_per_second']} rows/s with the foreign keys checked "
            f"({figures['rows_per_second_before_commit_checks']} rows/s before; {figures['path']}; "
            f"{figures['consented']} consents, {figures['suppressed']} suppressed, "
            f"ledger verified: {figures['ledger_verified']} in {figures['verify_seconds']} s; "
            f"CPU: Python {figures['python_cpu_seconds']} s, database "
            f"{figures['database_cpu_seconds']} s; load {figures['load_average_1min']} on "
            f"{figures['cpus']} CPUs) -> {options['output']}"
        )
