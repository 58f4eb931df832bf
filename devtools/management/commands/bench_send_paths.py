"""CPU per send of the send API's lean path and of its DRF view, interleaved in one process.

``bench_load`` times whole requests against gunicorn; on a shared two-core box its CPU per
request moves with the neighbours' load by more than the difference between these two paths
(docs/reliability.md). Here the same plain send (the bench_load seed: a consenting contact,
a number, an admin key) goes through Django's test client, the whole middleware stack
included, in batches that alternate between the product's URLconf (the lean path) and this
module's (the same URL served by the DRF view alone); each batch's process CPU time per
send is taken, so both paths see the same load. Prints the median and the lowest batch of
each and the difference. It writes real messages (QUEUED, never drained) in the configured
database, like bench_load.

A third series of batches, interleaved with the two, GETs bench_load's bare view (the
"ok" view behind the same middleware stack) the same way: ``bare / lean`` is the in-process
CPU ratio of the issue's target (0.3 of the bare view's requests per second), without
PostgreSQL's own CPU, which ``bench_load`` adds. ``--profile N`` then profiles ``--per``
sends of the lean path by process CPU time (cProfile: the figures are inflated by the
profiler, compare shares) and prints the top N functions by own and cumulative time, per
send.

    DJANGO_DEBUG=false python manage.py bench_send_paths --batches 10 --per 40 [--profile 30]
"""

import cProfile
import io
import json
import os
import pstats
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings
from django.urls import include, path

from accounts.api.throttling import ApiKeyRateThrottle
from devtools.management.commands.bench_load import Command as BenchLoad
from devtools.management.commands.bench_load import bare
from messaging.api.views.messages import MessageListCreateApi

URL = "/api/v1/messages/"
BARE_URL = "/bench/bare/"
# this module as the URLconf: the send URL served by the DRF view alone, the bare view, the
# rest as usual
urlpatterns = [
    path(URL.lstrip("/"), MessageListCreateApi.as_view()),
    path(BARE_URL.lstrip("/"), bare),
    path("", include("config.urls")),
]
PATHS = {"lean": settings.ROOT_URLCONF, "drf": __name__, "bare": __name__}


class Command(BaseCommand):
    help = "CPU per send: the send API's lean path against its DRF view, interleaved."

    def add_arguments(self, parser):
        parser.add_argument("--batches", type=int, default=10, help="batches per path")
        parser.add_argument("--per", type=int, default=40, help="sends per batch")
        parser.add_argument(
            "--profile", type=int, default=0, metavar="N", help="then profile the lean path"
        )

    def handle(self, *args, **opts):
        if settings.DEBUG:
            raise CommandError("Run with DJANGO_DEBUG=false: DEBUG records every query.")
        seed = BenchLoad()._seed()
        body = json.dumps(
            {
                "contact": str(seed["contact"].uuid),
                "from_number": str(seed["number"].uuid),
                "kind": "transactional",
                "body": "Your appointment is tomorrow at 3pm. Reply STOP to opt out.",
            }
        )
        client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {seed['secret']}")
        # the figures are of the code, not of the limiter
        rates = ApiKeyRateThrottle.THROTTLE_RATES
        ApiKeyRateThrottle.THROTTLE_RATES = {**rates, "api_key": "1000000/min"}
        try:
            ms: dict[str, list[float]] = {name: [] for name in PATHS}
            for name, urlconf in PATHS.items():  # warm every path
                self._batch(client, body, urlconf, 10, bare=name == "bare")
            for n in range(opts["batches"]):
                order = list(PATHS.items())
                for name, urlconf in order if n % 2 == 0 else order[::-1]:
                    ms[name].append(
                        self._batch(client, body, urlconf, opts["per"], bare=name == "bare")
                    )
            if opts["profile"]:
                profile = cProfile.Profile(time.process_time)
                profile.enable()
                self._batch(client, body, PATHS["lean"], opts["per"])
                profile.disable()
        finally:
            ApiKeyRateThrottle.THROTTLE_RATES = rates
        for name, values in ms.items():
            self.stdout.write(
                f"{name:5} median {statistics.median(values):.3f} ms CPU per send "
                f"(lowest batch {min(values):.3f}; {len(values)} batches of {opts['per']})"
            )
        lean, drf = statistics.median(ms["lean"]), statistics.median(ms["drf"])
        saved = drf - lean
        self.stdout.write(
            f"lean saves {saved:.3f} ms a send ({saved / drf:.1%}); "
            f"bare / lean {statistics.median(ms['bare']) / lean:.3f} (web process CPU only); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        if opts["profile"]:
            self._print_profile(profile, opts["profile"], opts["per"])

    def _print_profile(self, profile: cProfile.Profile, top: int, sends: int) -> None:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
        self.stdout.write(
            f"profile of {sends} lean sends: {total / sends * 1000:.2f} ms profiled CPU a send"
        )
        for order, column in (("tottime", 2), ("cumulative", 3)):
            self.stdout.write(f"top {top} by {order} (ms a send, calls a send):")
            rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][column])[:top]  # type: ignore[attr-defined]
            for (file, line, name), (_, calls, own, cum, _callers) in rows:
                where = file.split("site-packages/")[-1].removeprefix(str(settings.BASE_DIR) + "/")
                self.stdout.write(
                    f"  {own / sends * 1000:7.3f} own {cum / sends * 1000:7.3f} cum "
                    f"{calls / sends:7.2f}  {where}:{line}({name})"
                )

    def _batch(
        self, client: Client, body: str, urlconf: str, count: int, *, bare: bool = False
    ) -> float:
        with override_settings(ROOT_URLCONF=urlconf):
            started = time.process_time()
            for _ in range(count):
                if bare:
                    response = client.get(BARE_URL)
                    if response.status_code != 200:
                        raise CommandError(f"bare view answered {response.status_code}")
                    continue
                response = client.post(URL, body, content_type="application/json")
                if response.status_code != 201:
                    raise CommandError(
                        f"send answered {response.status_code}: {response.content!r}"
                    )
            return (time.process_time() - started) / count * 1000
