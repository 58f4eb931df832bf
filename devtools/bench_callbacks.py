"""Delivery-receipt ingestion, measured on its own (``manage.py bench_dispatch --callbacks``).

The real pipeline, every part a process of its own: the simulated carrier accepts M messages
(our uuids as idempotency keys, our signed webhook as their status callback) and holds their
receipts; then it releases them at once and posts them, batched as it is told
(``callback_batch``), to ``/webhooks/carrier/status/`` served by gunicorn with W processes;
each request is verified, stored with one INSERT, and a Celery worker applies the stored
receipts in batches. Run once with one receipt a request and once with the carrier's default
batch. Figures, from the release: receipts/s accepted and stored (the carrier's count of
receipts answered 2xx; the webhook answers only after its INSERT), receipts/s applied
(messages DELIVERED in the database), CPU seconds per receipt of the web, worker and carrier
process trees (PostgreSQL's and Redis's own CPU is not in it), and the load average.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from devtools import carrier as carrier_module
from devtools.processes import free_port, tree_cpu

ROOT = Path(settings.BASE_DIR)
IN_FLIGHT = 64  # concurrent POST /v1/messages while loading the carrier


def _seed(m: int):
    from accounts.models import Business
    from campaigns.models import PhoneNumber
    from messaging.models import Message

    tag = uuid.uuid4().hex[:8]
    business = Business.objects.create(
        legal_name=f"Bench Receipts {tag} LLC",
        display_name=f"Bench receipts {tag}",
        website="https://bench.example.com",
        industry_description="Dental clinic",
        vetting_status=Business.Vetting.APPROVED,
    )
    number = PhoneNumber.objects.create(
        business=business, e164=f"+1312{int(tag, 16) % 10**7:07d}", status="ACTIVE"
    )
    now = timezone.now()
    return Message.objects.bulk_create(
        [
            Message(
                business=business,
                direction=Message.Direction.OUTBOUND,
                from_number=number,
                to_phone=f"+1646{i % 10**7:07d}",
                body="Bench: your visit is Tuesday at 3pm.",
                kind="transactional",
                status=Message.Status.SENT,
                provider="simulated",
                sent_at=now,
            )
            for i in range(m)
        ],
        batch_size=5000,
    )


async def _load_carrier(carrier_url: str, callback: str, msgs) -> None:
    import aiohttp

    sem = asyncio.Semaphore(IN_FLIGHT)
    async with aiohttp.ClientSession() as session:

        async def one(m):
            payload = {
                "from": "+13125550100",
                "to": m.to_phone,
                "body": m.body,
                "idempotency_key": str(m.uuid),
                "status_callback": callback,
            }
            async with sem, session.post(f"{carrier_url}/v1/messages", json=payload) as r:
                if r.status != 201:
                    raise CommandError(f"the carrier answered {r.status}")

        await asyncio.gather(*(one(m) for m in msgs))


def _wait_up(*urls: str, logs: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for url in urls:
        while True:
            try:
                requests.get(url, timeout=1)  # any answer: the server is up
                break
            except requests.RequestException as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"{url} did not come up (logs in {logs})") from exc
                time.sleep(0.2)


def _stop(procs) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _one_run(*, batch: int, m: int, carrier_url: str, callback: str, procs: dict, timeout: float):
    from messaging.models import Message

    msgs = _seed(m)
    control = f"{carrier_url}/control"
    requests.post(
        control, json={"reset": True, "callback_batch": batch, "callback_hold": True}, timeout=5
    )
    asyncio.run(_load_carrier(carrier_url, callback, msgs))
    held = requests.get(control, timeout=5).json()["held_callbacks"]
    if held != m:
        raise CommandError(f"the carrier holds {held} receipts, expected {m}")
    mine = Message.objects.filter(business_id=msgs[0].business_id, status=Message.Status.DELIVERED)
    load0 = os.getloadavg()
    cpu0 = {name: tree_cpu(p.pid) for name, p in procs.items()}
    t0 = time.monotonic()
    requests.post(control, json={"callback_hold": False}, timeout=5)
    stored_s = applied_s = None
    next_db = 0.0
    counters: dict = {}
    while time.monotonic() - t0 < timeout and applied_s is None:
        counters = requests.get(control, timeout=5).json()["counters"]
        now = time.monotonic()
        if stored_s is None and counters["callbacks"] + counters["callback_errors"] >= m:
            stored_s = now - t0
        if now >= next_db:
            if mine.count() == m:
                applied_s = time.monotonic() - t0
            next_db = now + 0.2
        time.sleep(0.05)
    cpu = {name: tree_cpu(p.pid) - cpu0[name] for name, p in procs.items()}
    delivered = mine.count()
    total_cpu = sum(cpu.values())
    return {
        "callback_batch": batch,
        "receipts": m,
        "requests": counters.get("callback_requests"),
        "stored": counters.get("callbacks"),
        "refused_or_given_up": counters.get("callback_errors"),
        "retried_requests": counters.get("callback_retries"),
        "delivered_in_db": delivered,
        "stored_s": round(stored_s, 2) if stored_s else None,
        "applied_s": round(applied_s, 2) if applied_s else None,
        "stored_per_s": round(m / stored_s, 1) if stored_s else 0.0,
        "applied_per_s": round(m / applied_s, 1) if applied_s else 0.0,
        "cpu_s_per_receipt": round(total_cpu / m, 5),
        "cpu_s_per_receipt_by_tree": {k: round(v / m, 5) for k, v in cpu.items()},
        "load_average_1m": [round(load0[0], 2), round(os.getloadavg()[0], 2)],
    }


def run(o: dict, *, stdout) -> dict:
    """``o``: the parsed options of bench_dispatch (messages = receipts per run, workers =
    gunicorn processes, report, timeout). Prints and writes the report; returns it."""
    from config.celery_app import app
    from messaging.receipts import receipts_apply_all

    m, web_processes = o["messages"], o["workers"]
    receipts_apply_all()  # leftovers of an interrupted run must not count in this one
    app.control.purge()
    web_port, carrier_port = free_port(), free_port()
    web_base = f"http://127.0.0.1:{web_port}"
    carrier_url = f"http://127.0.0.1:{carrier_port}"
    env = {
        **os.environ,
        # the command's own settings: config.wsgi, left to itself, would load production's
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "DJANGO_DEBUG": "false",  # no query log, no debug toolbar: as in production
        "CELERY_SKIP_CHECKS": "1",
        "MESSAGING_WEBHOOK_BASE_URL": web_base,
    }
    audit = Path(tempfile.mkdtemp(prefix="bench-callbacks-")) / "carrier.jsonl"

    def start(argv: list[str], log_name: str) -> subprocess.Popen:
        return subprocess.Popen(  # noqa: S603 - fixed argv, no user input
            [sys.executable, *argv],
            cwd=ROOT,
            env=env,
            stdout=open(audit.with_name(log_name), "w"),  # the child keeps it open
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    procs = {
        "web": start(
            [
                "-m",
                "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{web_port}",
                "-w",
                str(web_processes),
                "--log-level",
                "warning",
            ],
            "web.log",
        ),
        "worker": start(
            [
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"benchcb-{os.getpid()}@%h",
            ],
            "worker.log",
        ),
        "carrier": start(
            [
                "manage.py",
                "run_carrier",
                "--port",
                str(carrier_port),
                "--audit-log",
                str(audit),
                "--webhook-base",
                web_base,
            ],
            "carrier.log",
        ),
    }
    callback = f"{web_base}/webhooks/carrier/status/"
    try:
        _wait_up(f"{carrier_url}/health", callback, logs=audit.parent)
        runs = [
            _one_run(
                batch=batch,
                m=m,
                carrier_url=carrier_url,
                callback=callback,
                procs=procs,
                timeout=o["timeout"],
            )
            for batch in (1, carrier_module.CALLBACK_BATCH)
        ]
    finally:
        _stop(procs.values())
    report = {
        "mode": "callbacks",
        "web_processes": web_processes,
        "worker_processes": 1,
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    Path(o["report"]).write_text(json.dumps(report, indent=2))
    for run_ in runs:
        stdout.write(f"--- callback_batch {run_['callback_batch']}")
        for key, value in run_.items():
            stdout.write(f"{key:>28}: {value}")
    return report
