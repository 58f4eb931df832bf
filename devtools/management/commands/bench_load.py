"""Load test on loopback: the send API, the public opt-in form's JSON POST and a bare Django
view, side by side in one run, driven by ``wrk`` against gunicorn.

    python manage.py bench_load --seconds 10 --report var/bench_load.json

Seeds its own business (approved campaign, number, consenting contact, admin API key, an
opt-in form) in the configured database through the test factories and services (so it
needs the dev dependencies), starts gunicorn on a free loopback port with this module as
``ROOT_URLCONF`` (config.urls plus one bare view; config/urls.py is untouched), then runs
wrk for ``--seconds`` against each target in turn and prints requests/s and latency
percentiles. The opt-in form needs a fresh single-use token per POST: one real token is
fetched from ``/f/<uuid>/config.json`` (CORS, our allowed Origin) and more are minted for
the same rendering snapshot; each POST carries the next token and a new phone number.
The per-key API throttle and the per-IP form limit are raised for the gunicorn process so
the figures measure the code path, not the limiter.

A fourth target, ``io_floor``, is the least an accepted send must do with no logic at all:
its JSON body read, the API throttle's one Redis pipeline, one indexed SELECT (the contact
with its business), one INSERT into a table of its own (created for the run and dropped
after), a JSON answer, through the bare view's middleware. ``x floor`` is each target's
requests/s over it: how close a path is to one read and one write, which no work can beat;
``io_floor``'s own ``x bare`` is the ceiling of the bare-view ratio for any such path.

gunicorn runs with config/gunicorn.conf.py (the Procfile's: each worker compiles the policy
rules before its first request). Before anything is measured every target runs for 2 s as a
warm-up (printed as such; its requests are not in the figures nor in a profile). Beside
req/s and latency, each target's CPU time per request is read from /proc around its run:
the gunicorn workers' and PostgreSQL's backends' (user + system), and ``CPU x bare`` is the
bare view's CPU per request over the target's: the ratio that does not depend on how busy
the shared box is.

``--profile`` runs the same targets under cProfile instead (one gunicorn worker with one
thread, one wrk connection: each request's wall time, database waits included, with nothing
else in between) and prints each target's top functions per request; its req/s are not the
benchmark's figures (the profiler slows every call). ``--profile-cpu`` times functions by
the thread's CPU time instead of wall time.
"""

import atexit
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from devtools.processes import free_port

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler

ROOT = Path(__file__).resolve().parents[3]


def bare(request):
    """The comparison: Django's request/response cycle and middleware, no work."""
    return HttpResponse("ok", content_type="text/plain")


FLOOR_TABLE = "bench_load_floor"


@csrf_exempt
def io_floor(request):
    """The least any accepted send must do, with no logic: read its JSON body, one Redis
    round trip (a counter, as a rate limit is), one indexed SELECT (the contact with its
    business, by uuid), one INSERT of a row (autocommit, as the send's), a JSON answer;
    through the same middleware as ``bare``. Its ratio to ``bare`` is the ceiling of any
    path that reads and writes PostgreSQL once each."""
    from accounts.api.throttling import window_counts

    data = json.loads(request.body)
    window_counts("bench_load:floor", 60, time.time())  # the API throttle's one pipeline
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.business_id, b.uuid FROM consent_contact c "
            "JOIN accounts_business b ON b.id = c.business_id WHERE c.uuid = %s",
            [data["contact"]],
        )
        contact_id, business_id, _ = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (business_id, contact_id, body, created_at) "  # noqa: S608 - a constant
            "VALUES (%s, %s, %s, now()) RETURNING id",
            [business_id, contact_id, data["body"]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id, "status": "queued"}, status=201)


def __getattr__(name: str):
    """``urlpatterns`` on demand (PEP 562): gunicorn imports this module before Django is
    set up, and include() imports config.urls at once."""
    if name == "urlpatterns":
        return [
            path("bench/bare/", bare),
            path("bench/floor/", io_floor),
            path("", include("config.urls")),
        ]
    raise AttributeError(name)


def application(environ, start_response):
    """The gunicorn entry point: the project's WSGI app with this module as URLconf."""
    global _app
    if _app is None:
        from django.core.wsgi import get_wsgi_application

        _app = get_wsgi_application()
        settings.ROOT_URLCONF = __name__  # already so in the server (below); kept for others
    if PROFILE_ENV in os.environ:
        return _profiled(_app, environ, start_response)
    return _app(environ, start_response)


_app: "WSGIHandler | None" = None

SERVER_ENV = "BENCH_LOAD_SERVER"
if os.environ.get(SERVER_ENV):
    # In the gunicorn this command starts, this module is the URLconf from the start, so
    # the worker's warm-up hook (config/warmup.py) builds *this* URLconf's reverse table.
    # Set on the first request instead, it left the hook's work on config.urls and the
    # whole table (84 resolvers) was built again by the first reverse(), inside a profile.
    settings.ROOT_URLCONF = __name__

PROFILE_ENV = "BENCH_LOAD_PROFILE_DIR"
PROFILE_CLOCK_ENV = "BENCH_LOAD_PROFILE_CLOCK"
_profiles: dict[tuple[int, str], cProfile.Profile] = {}


def _target_of(path: str) -> str:
    if path.startswith("/api/"):
        return "send_api"
    if path.startswith("/f/"):
        return "optin_form"
    if path.startswith("/bench/floor/"):
        return "io_floor"
    return "bare_view"


def _profiled(app, environ, start_response):
    """One cProfile per (thread, target); each worker writes them out when it exits."""
    if environ.get("HTTP_X_BENCH_WARMUP"):  # first requests: not what is measured
        return app(environ, start_response)
    if not _profiles:
        atexit.register(_dump_profiles)
    key = (threading.get_ident(), _target_of(environ.get("PATH_INFO", "")))
    if key not in _profiles:
        # BENCH_LOAD_PROFILE_CLOCK=cpu: this thread's CPU time, not wall time (robust on a
        # loaded box: waiting for a core or for PostgreSQL does not count)
        cpu = os.environ.get(PROFILE_CLOCK_ENV) == "cpu"
        _profiles[key] = cProfile.Profile(time.thread_time) if cpu else cProfile.Profile()
    profile = _profiles[key]
    profile.enable()
    try:
        response = app(environ, start_response)
        body = b"".join(response)  # the response's own work counts too
        if hasattr(response, "close"):
            response.close()
    finally:
        profile.disable()
    return [body]


def _dump_profiles() -> None:
    folder = Path(os.environ[PROFILE_ENV])
    for (tid, target), profile in _profiles.items():
        profile.dump_stats(folder / f"{target}-{os.getpid()}-{tid}.prof")


LUA_COMMON = """
if warmup then wrk.headers["X-Bench-Warmup"] = warmup end
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local out = string.format(
    '{"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, '
    .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000)
  io.write("RESULT " .. out .. "\\n")
end
"""


ROUND_STRIDE = 500_000  # phones +1 312 2xx–9xx: 16 slots of distinct numbers
MAX_ROUNDS = 15  # the 16th slot is the warm-up's


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(path: Path) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is [0], ppid [1])."""
    try:
        text = path.read_text()
    except OSError:  # gone, or not ours to read
        return None
    return text.rsplit(")", 1)[1].split()


def _cpu_seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _summary(rounds: list[dict]) -> dict:
    """Per target: the median of each figure over the rounds, the counts summed, and the
    rounds themselves."""
    out = {}
    for name in rounds[0]:
        runs = [r[name] for r in rounds]
        row: dict = {
            key: _median([run[key] for run in runs])
            for key in (
                "rps",
                "ratio_to_bare",
                "ratio_to_floor",
                "p50_ms",
                "p90_ms",
                "p99_ms",
                "max_ms",
                "web_cpu_ms",
                "db_cpu_ms",
                "cpu_ratio_to_bare",
            )
        }
        for key in ("requests", "non2xx", "errors"):
            row[key] = sum(run[key] for run in runs)
        if len(runs) > 1:
            row["rounds"] = runs
        out[name] = row
    return out


def _lua_str(s: str) -> str:
    return json.dumps(s)  # a JSON string literal is a valid Lua string literal here


class Command(BaseCommand):
    help = "Load-test the send API and the opt-in form against a bare view (wrk + gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10)
        parser.add_argument("--report", default="var/bench_load.json")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--threads", type=int, default=2)
        parser.add_argument("--gunicorn-workers", type=int, default=4)
        parser.add_argument("--tokens", type=int, default=20000)
        parser.add_argument(
            "--rounds",
            type=int,
            default=1,
            help="run the three targets this many times in turn; each figure is the median "
            "over the rounds, each ratio taken against the bare view of its own round (the "
            "box is shared: load moves between targets run a few seconds apart)",
        )
        parser.add_argument(
            "--profile-cpu",
            action="store_true",
            help="with --profile: time each function by the thread's CPU time, not wall time",
        )
        parser.add_argument(
            "--profile",
            type=int,
            default=0,
            metavar="N",
            help="profile instead of measuring: print each target's top N functions per request",
        )

    def handle(self, *args, **opts):
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk is not installed (apt-get install -y wrk).")
        if not 1 <= max(opts["rounds"], 1) <= MAX_ROUNDS:
            raise CommandError(f"--rounds: at most {MAX_ROUNDS} (distinct phone numbers).")
        seed = self._seed()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        workdir = Path(tempfile.mkdtemp(prefix="bench_load-"))
        profile_dir = None
        threads = 4
        if opts["profile"]:
            # one request at a time: its wall time is its own, database waits included
            profile_dir = workdir / "profiles"
            profile_dir.mkdir()
            opts.update(gunicorn_workers=1, connections=1, threads=1)
            threads = 1
        server = self._gunicorn(
            port, opts["gunicorn_workers"], threads, workdir, profile_dir, opts["profile_cpu"]
        )
        try:
            self._wait_up(base, server, workdir)
            # single-use tokens: each round takes its own share, and the warm-up one more
            self.tokens_per_round = opts["tokens"]
            n_rounds = max(opts["rounds"], 1)
            scripts = self._scripts(seed, base, opts["tokens"] * (n_rounds + 1), workdir)
            # warm-up, not recorded: every target for a few seconds on every connection, so
            # that no worker's or connection's first request (the gunicorn hook compiles the
            # policy rules; the database connections, Redis pools and caches fill on first
            # use) lands in a measured tail; on tokens and phones of a slot of its own
            for name, (url, script) in scripts.items():
                self.stdout.write(f"warm-up (not measured): wrk {name} for 2 s …")
                self._wrk(
                    wrk,
                    url,
                    script,
                    2,
                    opts["connections"],
                    opts["threads"],
                    offset=n_rounds * ROUND_STRIDE,
                    warmup=True,
                )
            rounds: list[dict] = []
            for n in range(n_rounds):
                runs = {}
                for name, (url, script) in scripts.items():
                    self.stdout.write(f"round {n + 1}: wrk {name} for {opts['seconds']} s …")
                    before = self._cpu(server.pid)
                    runs[name] = self._wrk(
                        wrk,
                        url,
                        script,
                        opts["seconds"],
                        opts["connections"],
                        opts["threads"],
                        offset=n * ROUND_STRIDE,
                    )
                    self._cpu_per_request(runs[name], before, self._cpu(server.pid))
                for r in runs.values():
                    r["ratio_to_bare"] = r["rps"] / runs["bare_view"]["rps"]
                    r["ratio_to_floor"] = r["rps"] / runs["io_floor"]["rps"]
                    # what req/s the box would reach if CPU were all that bound it, relative
                    # to the bare view: the robust ratio on a shared box
                    r["cpu_ratio_to_bare"] = (
                        runs["bare_view"]["web_cpu_ms"] + runs["bare_view"]["db_cpu_ms"]
                    ) / max(r["web_cpu_ms"] + r["db_cpu_ms"], 1e-9)
                rounds.append(runs)
            results = _summary(rounds)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            self._purge_broker()
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_TABLE}")
        self._check_effects(seed, results)
        if profile_dir is not None:
            for name, r in results.items():
                r["profile"] = self._profile_top(profile_dir, name, opts["profile"])
        report = {
            "profiled": bool(profile_dir),
            "seconds": opts["seconds"],
            "connections": opts["connections"],
            "wrk_threads": opts["threads"],
            "gunicorn_workers": opts["gunicorn_workers"],
            "cpus": os.cpu_count(),
            "load_average_after": os.getloadavg(),
            "database": settings.DATABASES["default"]["NAME"],
            "targets": results,
        }
        self.stdout.write(
            f"{'target':<14}{'req/s':>10}{'x bare':>8}{'x floor':>9}{'p50 ms':>10}{'p99 ms':>10}"
            f"{'non-2xx':>9}"
            f"{'web CPU ms':>12}{'db CPU ms':>11}{'CPU x bare':>12}"
        )
        for name, r in results.items():
            self.stdout.write(
                f"{name:<14}{r['rps']:>10.1f}{r['ratio_to_bare']:>8.3f}"
                f"{r['ratio_to_floor']:>9.3f}{r['p50_ms']:>10.1f}"
                f"{r['p99_ms']:>10.1f}{r['non2xx']:>9}{r['web_cpu_ms']:>12.2f}"
                f"{r['db_cpu_ms']:>11.2f}{r['cpu_ratio_to_bare']:>12.3f}"
            )
        self.stdout.write(
            "(CPU ms: per request, of the gunicorn workers and of PostgreSQL's backends, "
            f"from /proc; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        if len(rounds) > 1:
            self.stdout.write(f"(medians of {len(rounds)} rounds; each round in the report)")
        out = Path(opts["report"])
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))
        self.stdout.write(f"report written to {out}")

    # --- setup ---------------------------------------------------------------------------
    def _seed(self) -> dict:
        from accounts import services as accounts_services
        from accounts.roles import Role
        from tests.factories.accounts import BusinessFactory, MembershipFactory, UserFactory
        from tests.factories.consent import OptInFormFactory
        from tests.factories.messaging import consenting_contact, sending_number

        run = uuid.uuid4().hex[:10]  # factory sequences restart each run: make names unique
        business = BusinessFactory(
            legal_name=f"Bench {run} LLC",
            display_name=f"Bench {run}",
            website=f"https://bench-{run}.com",
        )
        owner = MembershipFactory(
            business=business,
            user=UserFactory(email=f"bench-{run}@example.com"),
            role=Role.OWNER.value,
        )
        number = sending_number(business=business, e164=f"+1312{int(time.time()) % 10**7:07d}")
        contact = consenting_contact(business=business, number=number)
        _, secret = accounts_services.api_key_create(
            business=business, name="bench_load", role=Role.ADMIN.value, by=owner
        )
        form = OptInFormFactory(business=business, campaigns=[number.campaign])
        with connection.cursor() as cursor:  # io_floor's table, dropped after the run
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id bigserial PRIMARY KEY, "
                "business_id bigint NOT NULL, contact_id bigint NOT NULL, body text NOT NULL, "
                "created_at timestamptz NOT NULL)"
            )
        return {
            "business": business,
            "number": number,
            "contact": contact,
            "secret": secret,
            "form": form,
            "started": time.time(),
        }

    def _gunicorn(
        self,
        port: int,
        workers: int,
        threads: int,
        workdir: Path,
        profile_dir: Path | None,
        profile_cpu: bool = False,
    ) -> subprocess.Popen:
        env = {
            **os.environ,
            "API_THROTTLE_RATE": "100000000/min",
            "CONSENT_FORM_RATE_PER_IP": "100000000/600",
            # the command's own settings, said outright: config.wsgi alone would mean production
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_DEBUG": "false",  # figures without the debug machinery
            SERVER_ENV: "1",
        }
        if profile_dir is not None:
            env[PROFILE_ENV] = str(profile_dir)
            if profile_cpu:
                env[PROFILE_CLOCK_ENV] = "cpu"
        cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "devtools.management.commands.bench_load:application",
            "--config",  # the Procfile's hooks: each worker warmed before its first request
            str(ROOT / "config" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",  # keep-alive, as behind a real proxy; sync workers close each time
            "--threads",
            str(threads),
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen(  # noqa: S603 - argv of our own venv paths, no shell
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def _cpu(self, server_pid: int) -> dict[str, dict[int, float]]:
        """CPU seconds so far of each gunicorn worker and of each PostgreSQL backend of this
        database (from /proc: user + system time, waiting for a core not counted)."""
        workers = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            fields = _proc_stat(stat)
            if fields and int(fields[1]) == server_pid:
                workers[int(stat.parent.name)] = _cpu_seconds(fields)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            pids = [row[0] for row in cursor.fetchall()]
        backends = {}
        for pid in pids:
            fields = _proc_stat(Path(f"/proc/{pid}/stat"))
            if fields:
                backends[pid] = _cpu_seconds(fields)
        return {"web": workers, "db": backends}

    def _cpu_per_request(self, run: dict, before: dict, after: dict) -> None:
        """Milliseconds of CPU per request between two ``_cpu`` readings (a backend or
        worker born in between counts from zero; one gone is lost: none should go)."""
        n = max(run["requests"], 1)
        for side in ("web", "db"):
            spent = sum(t - before[side].get(pid, 0.0) for pid, t in after[side].items())
            run[f"{side}_cpu_ms"] = spent * 1000 / n

    def _wait_up(self, base: str, server, workdir: Path) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                if (
                    requests.get(
                        f"{base}/bench/bare/", headers={"X-Bench-Warmup": "1"}, timeout=2
                    ).status_code
                    == 200
                ):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise CommandError(
            "gunicorn did not answer:\n" + (workdir / "gunicorn.log").read_text()[-3000:]
        )

    def _scripts(self, seed: dict, base: str, tokens: int, workdir: Path) -> dict:
        from django.core import signing

        from consent.embed import TOKEN_SALT, issue_token

        form = seed["form"]
        origin = form.allowed_origins[0]
        # the setup's requests are not measured: marked as warm-up, out of every profile
        r = requests.get(
            f"{base}/f/{form.uuid}/config.json",
            headers={"Origin": origin, "X-Bench-Warmup": "1"},
            timeout=10,
        )
        if r.status_code != 200:
            raise CommandError(f"config.json answered {r.status_code}: {r.text[:300]}")
        first = r.json()["token"]
        snapshot = signing.loads(first, salt=TOKEN_SALT)["s"]
        # one more than the rounds use: the probe takes one
        minted = [first] + [issue_token(form, snapshot, origin) for _ in range(tokens)]
        probe = requests.post(
            f"{base}/f/{form.uuid}/submit/",
            json={
                "phone": "+13126990000",
                "consent": True,
                "age_confirmed": True,
                "token": minted.pop(),
                "page_url": origin + "/signup",
            },
            headers={"Origin": origin, "X-Bench-Warmup": "1"},
            timeout=10,
        )
        if probe.status_code >= 300:  # the POST must do its work, not bounce off a check
            raise CommandError(f"opt-in probe answered {probe.status_code}: {probe.text[:500]}")
        token_file = workdir / "tokens.lua"
        token_file.write_text("return {" + ",".join(_lua_str(t) for t in minted) + "}\n")

        send_body = json.dumps(
            {
                "contact": str(seed["contact"].uuid),
                "from_number": str(seed["number"].uuid),
                "kind": "transactional",
                "body": "Your appointment is tomorrow at 3pm. Reply STOP to opt out.",
            }
        )
        send = workdir / "send.lua"
        send.write_text(
            LUA_COMMON
            + f"""
wrk.method = "POST"
wrk.body = {_lua_str(send_body)}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {_lua_str("Bearer " + seed["secret"])}
"""
        )
        optin = workdir / "optin.lua"
        # phones +1 312 2xx xxxx from a per-thread counter, unique within the run
        optin.write_text(
            LUA_COMMON
            + f"""
local tokens = dofile({_lua_str(str(token_file))})
local n = 0
function request()
  local j = n * nthreads + tid
  local i = offset + j
  n = n + 1
  local token = tokens[round_no * per_round + (j % per_round) + 1]
  local phone = string.format("+1312%03d%04d", 200 + math.floor(i / 10000), i % 10000)
  local body = '{{"phone": "' .. phone .. '", "consent": true, "age_confirmed": true, '
    .. '"token": "' .. token .. '", "page_url": {_lua_str(origin + "/signup")}}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json",
    ["Origin"] = {_lua_str(origin)}, ["X-Bench-Warmup"] = warmup}}, body)
end
"""
        )
        bare_lua = workdir / "bare.lua"
        bare_lua.write_text(LUA_COMMON)
        floor = workdir / "floor.lua"
        floor.write_text(
            LUA_COMMON
            + f"""
wrk.method = "POST"
wrk.body = {_lua_str(send_body)}
wrk.headers["Content-Type"] = "application/json"
"""
        )
        return {
            "bare_view": (f"{base}/bench/bare/", bare_lua),
            "io_floor": (f"{base}/bench/floor/", floor),
            "send_api": (f"{base}/api/v1/messages/", send),
            "optin_form": (f"{base}/f/{form.uuid}/submit/", optin),
        }

    def _wrk(
        self, wrk, url, script: Path, seconds, connections, threads, offset=0, warmup=False
    ) -> dict:
        # nthreads/tid let each wrk thread take its own share of tokens and phones; offset
        # moves a later round on to tokens and phones no earlier round used
        text = script.read_text()
        if text.startswith("nthreads"):
            text = text.split("\n", 5)[5]
        # warm-up requests carry a header: the profiler leaves them out
        flag = '"1"' if warmup else "nil"
        script.write_text(
            f"nthreads = {threads}\noffset = {offset}\nround_no = {offset // ROUND_STRIDE}\n"
            f"per_round = {self.tokens_per_round}\nwarmup = {flag}\n" + text
        )
        cmd = [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ]
        done = subprocess.run(  # noqa: S603 - argv of wrk and our own files, no shell
            cmd, capture_output=True, text=True, timeout=seconds + 60
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if not line:
            raise CommandError(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")
        r = json.loads(line[len("RESULT ") :])
        r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
        return r

    def _profile_top(self, folder: Path, target: str, top: int) -> dict:
        """Merge the workers' profiles of one target; print and return its top functions by
        own time and by cumulative time, in milliseconds per request."""
        files = sorted(str(f) for f in folder.glob(f"{target}-*.prof"))
        if not files:
            return {}
        stats = pstats.Stats(*files)
        raw = stats.stats  # type: ignore[attr-defined]  # pstats keeps it untyped
        requests_seen = sum(
            v[1]
            for (file, _, fn), v in raw.items()
            if fn == "__call__" and file.endswith("django/core/handlers/wsgi.py")
        )
        n = max(requests_seen, 1)

        def label(key) -> str:
            file, line, fn = key
            for marker in ("site-packages/", str(ROOT) + "/", "/lib/python3"):
                if marker in file:
                    file = file.split(marker, 1)[1]
                    break
            return f"{file}:{line}({fn})"

        def rows(sort_index: int) -> list[dict]:
            ordered = sorted(raw.items(), key=lambda kv: kv[1][sort_index], reverse=True)
            return [
                {
                    "function": label(key),
                    "calls_per_request": round(v[1] / n, 2),
                    "own_ms": round(v[2] * 1000 / n, 3),
                    "cumulative_ms": round(v[3] * 1000 / n, 3),
                }
                for key, v in ordered[:top]
            ]

        result = {
            "requests": requests_seen,
            "ms_per_request": round(stats.total_tt * 1000 / n, 3),  # type: ignore[attr-defined]
            "by_own_time": rows(2),
            "by_cumulative_time": rows(3),
        }
        self.stdout.write(
            f"\n{target}: {requests_seen} requests profiled, "
            f"{result['ms_per_request']} ms per request"
        )
        for title, key in (("own time", "by_own_time"), ("cumulative", "by_cumulative_time")):
            self.stdout.write(f"  top by {title} (ms per request, calls per request):")
            for row in result[key]:
                self.stdout.write(
                    f"    {row['own_ms']:>8.3f} own {row['cumulative_ms']:>8.3f} cum "
                    f"{row['calls_per_request']:>7} calls  {row['function']}"
                )
        return result

    def _check_effects(self, seed: dict, results: dict) -> None:
        """The POSTs did their work: messages queued, opt-ins recorded (not just 2xx)."""
        from consent.models import Contact
        from messaging.models import Message

        business = seed["business"]
        api_msgs = Message.objects.filter(business=business, contact=seed["contact"]).count()
        contacts = Contact.objects.filter(business=business).exclude(pk=seed["contact"].pk)
        results["send_api"]["messages_created"] = api_msgs
        results["optin_form"]["contacts_created"] = contacts.count()

    def _purge_broker(self) -> None:
        # no worker ran: drop the drain tasks the sends queued on this broker
        from config.celery_app import app

        try:
            app.control.purge()
        except Exception as exc:  # the broker is optional for the figures
            self.stderr.write(f"broker purge failed: {exc}")
