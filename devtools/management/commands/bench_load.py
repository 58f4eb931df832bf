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
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.http import HttpResponse
from django.urls import include, path

from devtools.processes import free_port

if TYPE_CHECKING:
    from django.core.handlers.wsgi import WSGIHandler

ROOT = Path(__file__).resolve().parents[3]


def bare(request):
    """The comparison: Django's request/response cycle and middleware, no work."""
    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str):
    """``urlpatterns`` on demand (PEP 562): gunicorn imports this module before Django is
    set up, and include() imports config.urls at once."""
    if name == "urlpatterns":
        return [path("bench/bare/", bare), path("", include("config.urls"))]
    raise AttributeError(name)


def application(environ, start_response):
    """The gunicorn entry point: the project's WSGI app with this module as URLconf."""
    global _app
    if _app is None:
        from django.core.wsgi import get_wsgi_application

        _app = get_wsgi_application()
        settings.ROOT_URLCONF = __name__
    return _app(environ, start_response)


_app: "WSGIHandler | None" = None

LUA_COMMON = """
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

    def handle(self, *args, **opts):
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk is not installed (apt-get install -y wrk).")
        seed = self._seed()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        workdir = Path(tempfile.mkdtemp(prefix="bench_load-"))
        server = self._gunicorn(port, opts["gunicorn_workers"], workdir)
        try:
            self._wait_up(base, server, workdir)
            scripts = self._scripts(seed, base, opts["tokens"], workdir)
            # warm-up, not recorded: each gunicorn worker loads Django and the URLconf on its
            # first request, which would otherwise land in the first target's tail
            self._wrk(wrk, scripts["bare_view"][0], scripts["bare_view"][1], 3, 16, 2)
            results = {}
            for name, (url, script) in scripts.items():
                self.stdout.write(f"wrk {name} for {opts['seconds']} s …")
                results[name] = self._wrk(
                    wrk, url, script, opts["seconds"], opts["connections"], opts["threads"]
                )
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
            self._purge_broker()
        self._check_effects(seed, results)
        report = {
            "seconds": opts["seconds"],
            "connections": opts["connections"],
            "wrk_threads": opts["threads"],
            "gunicorn_workers": opts["gunicorn_workers"],
            "cpus": os.cpu_count(),
            "load_average_after": os.getloadavg(),
            "database": settings.DATABASES["default"]["NAME"],
            "targets": results,
        }
        self.stdout.write(f"{'target':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'non-2xx':>9}")
        for name, r in results.items():
            self.stdout.write(
                f"{name:<14}{r['rps']:>10.1f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}"
                f"{r['non2xx']:>9}"
            )
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
        return {
            "business": business,
            "number": number,
            "contact": contact,
            "secret": secret,
            "form": form,
            "started": time.time(),
        }

    def _gunicorn(self, port: int, workers: int, workdir: Path) -> subprocess.Popen:
        env = {
            **os.environ,
            "API_THROTTLE_RATE": "100000000/min",
            "CONSENT_FORM_RATE_PER_IP": "100000000/600",
            # the command's own settings, said outright: config.wsgi alone would mean production
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_DEBUG": "false",  # figures without the debug machinery
        }
        cmd = [
            str(Path(sys.executable).with_name("gunicorn")),
            "devtools.management.commands.bench_load:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",  # keep-alive, as behind a real proxy; sync workers close each time
            "--threads",
            "4",
            "--log-level",
            "warning",
            "--timeout",
            "60",
        ]
        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 - lives as long as the process
        return subprocess.Popen(  # noqa: S603 - argv of our own venv paths, no shell
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def _wait_up(self, base: str, server, workdir: Path) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            try:
                if requests.get(f"{base}/bench/bare/", timeout=2).status_code == 200:
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
        r = requests.get(
            f"{base}/f/{form.uuid}/config.json", headers={"Origin": origin}, timeout=10
        )
        if r.status_code != 200:
            raise CommandError(f"config.json answered {r.status_code}: {r.text[:300]}")
        first = r.json()["token"]
        snapshot = signing.loads(first, salt=TOKEN_SALT)["s"]
        minted = [first] + [issue_token(form, snapshot, origin) for _ in range(tokens - 1)]
        probe = requests.post(
            f"{base}/f/{form.uuid}/submit/",
            json={
                "phone": "+13126990000",
                "consent": True,
                "age_confirmed": True,
                "token": minted.pop(),
                "page_url": origin + "/signup",
            },
            headers={"Origin": origin},
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
                "body": "Your appointment is tomorrow at 3pm.",
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
  local i = n * nthreads + tid
  n = n + 1
  local token = tokens[(i % #tokens) + 1]
  local phone = string.format("+1312%03d%04d", 200 + math.floor(i / 10000), i % 10000)
  local body = '{{"phone": "' .. phone .. '", "consent": true, "age_confirmed": true, '
    .. '"token": "' .. token .. '", "page_url": {_lua_str(origin + "/signup")}}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json",
    ["Origin"] = {_lua_str(origin)}}}, body)
end
"""
        )
        bare_lua = workdir / "bare.lua"
        bare_lua.write_text(LUA_COMMON)
        return {
            "bare_view": (f"{base}/bench/bare/", bare_lua),
            "send_api": (f"{base}/api/v1/messages/", send),
            "optin_form": (f"{base}/f/{form.uuid}/submit/", optin),
        }

    def _wrk(self, wrk, url, script: Path, seconds, connections, threads) -> dict:
        # nthreads/tid let each wrk thread take its own share of tokens and phones
        text = script.read_text()
        if not text.startswith("nthreads"):
            script.write_text(f"nthreads = {threads}\n" + text)
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
