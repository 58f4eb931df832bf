"""Benchmark the policy engine on one core: messages per second and p50 / p99 latency of
``check_message`` on a realistic mix (mostly clean small-business texts, some near misses,
some prohibited and evasive ones), with the shipped rules compiled once.

    manage.py bench_policy [--seconds 2] [--rounds 5] [--report PATH]

One thread, so one core at a time. The machine may be shared and noisy, so it reports two
clocks: wall time (what a caller waits, including time other processes took the core) and
this thread's CPU time (what one core delivers to the engine). Prints figures and writes
JSON; it asserts nothing.
"""

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from devtools.processes import database_url
from policies import engine
from policies.scoring import load_jsonl


def _mix(corpus: Path) -> list[dict]:
    rows = []
    for name in ("messages_dev.jsonl", "messages_holdout.jsonl"):
        rows += load_jsonl(corpus / name)
    clean = [r for r in rows if r["expected"] == "allow"]
    bad = [r for r in rows if r["expected"] == "block" and not r.get("evasive")]
    evasive = [r for r in rows if r.get("evasive")]
    # realistic traffic: ~90 % clean, ~7 % prohibited, ~3 % evasive
    n_clean = len(clean) * 9
    return clean * 9 + (bad * 9)[: n_clean * 7 // 90] + (evasive * 9)[: n_clean * 3 // 90]


def _reference_ns() -> float:
    """How fast this machine runs plain Python right now: ns per dict lookup in a loop
    (about 30 ns on an idle modern core). It puts the figures in context on a shared,
    busy machine."""
    d = {str(i): i for i in range(1000)}
    keys = list(d) * 100
    best = float("inf")
    for _ in range(5):
        t = time.thread_time()
        for k in keys:
            d.get(k)
        best = min(best, (time.thread_time() - t) / len(keys))
    return round(best * 1e9, 1)


def _pct(values: list[float], q: float) -> float:
    return round(values[min(len(values) - 1, int(len(values) * q))] * 1e6, 1)


def _business_latency(rules, corpus: Path) -> dict:
    """The sign-up screen, each description once (no memo helps a new business)."""
    rows: list[dict] = []
    for path in [*sorted(corpus.glob("businesses_*.jsonl")), TRAIN_BUSINESSES]:
        if path.exists():
            rows += load_jsonl(path)
    lat = []
    for r in rows:
        a = time.perf_counter()
        engine.screen_business(
            r.get("name", ""), r.get("industry_description", ""), r.get("website", ""), rules
        )
        lat.append((time.perf_counter() - a) * 1000)
    lat.sort()
    return {
        "items": len(rows),
        "wall_p50_ms": round(lat[len(lat) // 2], 3) if lat else None,
        "wall_p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3) if lat else None,
        "wall_max_ms": round(lat[-1], 3) if lat else None,
    }


TRAIN_BUSINESSES = Path(settings.BASE_DIR) / "policies/corpus/train/businesses.jsonl"


class Command(BaseCommand):
    help = "Benchmark the policy engine (msg/s on one core, p50/p99 latency)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=2.0, help="Length of each round.")
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("--report", help="Write the figures as JSON here.")
        parser.add_argument(
            "--corpus", default=str(Path(settings.BASE_DIR) / "tests/policies/corpus")
        )
        parser.add_argument(
            "--rules-only", action="store_true", help="Without the knowledge and learned layers."
        )
        parser.add_argument(
            "--cli",
            type=int,
            metavar="N",
            help="Instead: time `policy_check messages` on N lines of the mix and on 1 line, "
            "as separate processes; (t(N) - t(1)) / N, on repeated and on all-distinct bodies.",
        )

    def handle(
        self,
        *args: Any,
        seconds: float,
        rounds: int,
        report: str | None = None,
        corpus: str,
        rules_only: bool = False,
        cli: int | None = None,
        **options: Any,
    ) -> None:
        if cli:
            self._cli(cli, Path(corpus), report)
            return
        t0 = time.perf_counter()
        rules = engine.compile_rules(engine.load_fixture())
        compile_ms = (time.perf_counter() - t0) * 1000
        if not rules_only:  # the engine as it runs: knowledge and learned layer beside the rules
            rules = engine.with_layers(rules)
        items = [(r["body"], r["kind"], r["brand_domains"]) for r in _mix(Path(corpus))]
        check = engine.check_message
        for body, kind, domains in items:  # warm the token and fuzzy memos once
            check(body, rules, kind=kind, brand_domains=domains)
        gc.collect()
        gc.freeze()
        wall, cpu = time.perf_counter, time.thread_time
        results = []
        all_wall: list[float] = []
        all_cpu: list[float] = []
        for _ in range(rounds):
            lat: list[float] = []
            cpu_lat: list[float] = []
            n = 0
            start, cpu_start = wall(), cpu()
            while wall() - start < seconds:
                for body, kind, domains in items:
                    a, c = wall(), cpu()
                    check(body, rules, kind=kind, brand_domains=domains)
                    cpu_lat.append(cpu() - c)
                    lat.append(wall() - a)
                n += len(items)
            elapsed, cpu_used = wall() - start, cpu() - cpu_start
            lat.sort()
            cpu_lat.sort()
            results.append(
                {
                    "messages": n,
                    "wall_seconds": round(elapsed, 3),
                    "cpu_seconds": round(cpu_used, 3),
                    "wall_msg_per_s": round(n / elapsed),
                    "cpu_msg_per_s": round(n / cpu_used),
                    "wall_p50_us": _pct(lat, 0.5),
                    "wall_p99_us": _pct(lat, 0.99),
                    "cpu_p50_us": _pct(cpu_lat, 0.5),
                    "cpu_p99_us": _pct(cpu_lat, 0.99),
                }
            )
            all_wall += lat
            all_cpu += cpu_lat
        all_wall.sort()
        all_cpu.sort()
        total = sum(r["messages"] for r in results)
        screen = _business_latency(rules, Path(corpus))
        data: dict[str, Any] = {
            "rules_version": rules.version,
            "compile_ms": round(compile_ms, 1),
            "mix_size": len(items),
            "rounds": results,
            "wall_msg_per_s_median": round(statistics.median(r["wall_msg_per_s"] for r in results)),
            "wall_msg_per_s_best": max(r["wall_msg_per_s"] for r in results),
            "wall_p50_us": _pct(all_wall, 0.5),
            "wall_p99_us": _pct(all_wall, 0.99),
            "cpu_msg_per_s": round(total / sum(r["cpu_seconds"] for r in results)),
            "cpu_p50_us": _pct(all_cpu, 0.5),
            "cpu_p99_us": _pct(all_cpu, 0.99),
            "targets": {"msg_per_s": 10000, "p99_us": 1000, "business_p99_ms": 200},
            "business_screen": screen,
            "layers": not rules_only,
            "machine": {
                "reference_dict_get_ns": _reference_ns(),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_avg": [round(x, 2) for x in os.getloadavg()],
            },
        }
        for r in results:
            self.stdout.write(
                f"round: wall {r['wall_msg_per_s']:>6} msg/s p50 {r['wall_p50_us']:>6} us "
                f"p99 {r['wall_p99_us']:>8} us | cpu {r['cpu_msg_per_s']:>6} msg/s "
                f"p50 {r['cpu_p50_us']:>6} us p99 {r['cpu_p99_us']:>7} us"
            )
        self.stdout.write(
            f"wall clock: {data['wall_msg_per_s_median']} msg/s median round "
            f"(best {data['wall_msg_per_s_best']}), p50 {data['wall_p50_us']} us, "
            f"p99 {data['wall_p99_us']} us\n"
            f"thread CPU: {data['cpu_msg_per_s']} msg/s, p50 {data['cpu_p50_us']} us, "
            f"p99 {data['cpu_p99_us']} us\n"
            f"rules compiled in {data['compile_ms']} ms; mix of {len(items)} messages; "
            f"load average {data['machine']['load_avg']}; reference dict.get "
            f"{data['machine']['reference_dict_get_ns']} ns (an idle modern core: about 30 ns)"
        )
        self.stdout.write(
            f"business screen: {screen['items']} descriptions, each once (cold), wall p50 "
            f"{screen['wall_p50_ms']} ms, p99 {screen['wall_p99_ms']} ms"
        )
        if report:
            Path(report).write_text(json.dumps(data, indent=2) + "\n")
            self.stdout.write(f"report -> {report}")

    def _cli(self, n: int, corpus: Path, report: str | None) -> None:
        items = _mix(corpus)
        out: dict[str, Any] = {"lines": n, "load_avg_before": os.getloadavg()}
        # the CLI's processes inherit this environment and tree: the same engine as here
        out["engine"] = engine.build_info()
        self.stdout.write(f"engine: {out['engine']['engine']} ({out['engine']['why']})")
        with tempfile.TemporaryDirectory() as tmp:
            for label, distinct in (
                ("repeated bodies (the mix)", False),
                ("distinct bodies", True),
            ):
                files = {}
                for size in (1, n):
                    path = Path(tmp) / f"in_{size}_{distinct}.jsonl"
                    with open(path, "w", encoding="utf-8") as f:
                        for i in range(size):
                            r = items[(i * 7919) % len(items)]
                            body = f"{r['body']} (ref {i})" if distinct else r["body"]
                            row = {"id": f"m{i}", "body": body, "kind": r["kind"]}
                            row["brand_domains"] = r["brand_domains"]
                            f.write(json.dumps(row) + "\n")
                    files[size] = path
                t = {size: self._run_cli(files[size], Path(tmp) / "out.jsonl") for size in files}
                wall = (t[n][0] - t[1][0]) / n
                cpu = (t[n][1] - t[1][1]) / n
                out[label] = {
                    "wall_us_per_line": round(wall * 1e6, 1),
                    "cpu_us_per_line": round(cpu * 1e6, 1),
                    "wall_lines_per_s": round(1 / wall) if wall > 0 else None,
                    "cpu_lines_per_s": round(1 / cpu) if cpu > 0 else None,
                }
                self.stdout.write(
                    f"policy_check, {label}: {out[label]['wall_lines_per_s']} lines/s wall, "
                    f"{out[label]['cpu_lines_per_s']} lines/s CPU "
                    f"(({n} lines - 1 line) / {n})"
                )
        out["load_avg_after"] = os.getloadavg()
        self.stdout.write(f"load average {out['load_avg_before']} -> {out['load_avg_after']}")
        if report:
            Path(report).write_text(json.dumps(out, indent=2) + "\n")

    @staticmethod
    def _run_cli(src: Path, dst: Path) -> tuple[float, float]:
        """Wall seconds and the child's CPU seconds (user + system) of one policy_check."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        a = time.perf_counter()
        db = connection.settings_dict
        # the database this process uses (under pytest: the test database, already migrated)
        env = {**os.environ, "DATABASE_URL": database_url(db)}
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "policy_check", "messages", str(src), "--out", str(dst)],
            check=True,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            env=env,
        )
        wall = time.perf_counter() - a
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu
