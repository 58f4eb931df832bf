"""gunicorn's settings for the web process (Procfile, docs/deploy.md, bench_load):
``gunicorn -c config/gunicorn.conf.py config.wsgi ...``.

Only hooks live here; workers, threads and the bind stay on the command line.

``post_worker_init`` warms each new worker before it takes its first request: the policy
rules are compiled once per process (about 1–2 s, ``policies.services.rules_current``), and
the URLconf is imported and its reverse table built on first use, so without it the first
requests a fresh worker serves — after a deploy, a ``--max-requests`` recycle or a crash —
wait for those. The hook is not in
config/wsgi.py on purpose: that module is imported where no database is reachable (tests,
checks), and the warm-up reads the rules' revision from the database.
"""

import logging

log = logging.getLogger("config.gunicorn")

# gunicorn 25+ opens a control socket for `gunicornc` at one fixed path per user
# (~/.gunicorn/gunicorn.ctl): every gunicorn on a host (a second stack, bench_load, the test
# suite's proxy test) would take it over from the others. We do not use gunicornc; the
# supervisor manages the process (docs/deploy.md).
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Compile the policy rules and load the URLconf in this worker (the app is loaded)."""
    from config.warmup import warm

    warm()
