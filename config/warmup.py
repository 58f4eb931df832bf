"""Work a web worker does once, before its first request (config/gunicorn.conf.py)."""

import logging
import time

log = logging.getLogger(__name__)


def warm() -> float:
    """Compile the policy rules and import the URLconf; return the seconds it took.

    A failure is logged, not raised: a worker that cannot reach the database now serves
    its requests as before (the first send compiles the rules then)."""
    import django
    from django.apps import apps

    if not apps.ready:  # an entry point that sets Django up on its first request (bench_load)
        django.setup()
    from django.db import connections
    from django.urls import get_resolver

    started = time.monotonic()
    try:
        from policies.services import rules_current

        resolver = get_resolver()
        resolver.url_patterns  # noqa: B018 - importing every view module is the point
        # the reverse table: built by the first reverse() (every URLconf's patterns
        # normalised, about 80 resolvers here); the opt-in form's POST was where it landed
        resolver.reverse_dict  # noqa: B018
        rules_current()
    except Exception:
        log.exception("worker warm-up failed; the first requests will do it")
    finally:
        # the hook runs in the worker's main thread, which serves no request: do not leave
        # its connection open beside the request threads' own
        connections.close_all()
    took = time.monotonic() - started
    log.info("worker warmed in %.2f s", took)
    return took
