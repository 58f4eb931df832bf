"""Which event types each business's active endpoints want, answered without SQL in the
common case (no endpoint, or not subscribed).

Every emit asks it. The answer is kept per process, stamped with a version that lives in the
shared cache (Redis): ``subscriptions_changed`` gives the business a new version once the
change has committed, so every process's next emit misses, reads the endpoints again and
sees the change. A process reads the version before it reads the endpoints, and a writer
changes it only after its commit: an answer read before a commit is always filed under an
older version than the one that commit sets, so it is never used again.

Cost of an emit: one Redis round trip (``get_many`` of the versions of a batch's
businesses); one SQL query only after a change or the first time a process meets the
business. Without a shared cache (the local-memory cache of ``make run``: one per process)
a version could not reach the other processes, so every emit asks PostgreSQL, as before.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

from .models import WebhookEndpoint

log = logging.getLogger(__name__)

# business id -> (version it was read under, when, the types its active endpoints want)
_known: dict[int, tuple[str, float, frozenset[str]]] = {}
# per thread (a thread is a connection): businesses whose endpoints it changed in a
# transaction not yet ended; what it reads of them there may still roll back, so it is not kept
_local = threading.local()


def _changing() -> set[int]:
    if not hasattr(_local, "changing"):
        _local.changing = set()
    return _local.changing


# a backstop, should a version change ever fail to reach the cache (it is logged)
MAX_AGE = 600.0


def _version_key(business_id: int) -> str:
    return f"events:subscriptions:{business_id}"


def _shared() -> bool:
    return not isinstance(cache, LocMemCache | DummyCache)


def _versions(business_ids: set[int]) -> dict[int, str | None] | None:
    """The current version of each business (None: none to file an answer under), or None
    when there is no shared cache to ask."""
    if not _shared():
        return None
    keys = {_version_key(b): b for b in business_ids}
    try:
        versions = {keys[k]: v for k, v in cache.get_many(list(keys)).items()}
        for business_id in business_ids - versions.keys():
            # no version yet (or evicted): a new one, never one an old answer was filed under
            fresh, key = uuid.uuid4().hex, _version_key(business_id)
            versions[business_id] = fresh if cache.add(key, fresh, None) else cache.get(key)
    except Exception:  # the cache is down: PostgreSQL answers
        log.warning("subscriptions: cache unavailable, reading endpoints", exc_info=True)
        return None
    return versions


def _lookup(business_ids) -> tuple[dict[int, frozenset[str]], Callable]:
    """What is known of ``business_ids`` without SQL, and ``remember(business_id, types)``
    for what the caller then reads of the others."""
    business_ids = set(business_ids)
    versions = (_versions(business_ids) if business_ids else None) or {}
    now = time.monotonic()
    known: dict[int, frozenset[str]] = {}
    for business_id, version in versions.items():
        entry = _known.get(business_id)
        if entry and entry[0] == version and now - entry[1] < MAX_AGE:
            known[business_id] = entry[2]
    in_transaction = transaction.get_connection().in_atomic_block
    if not in_transaction:
        _changing().difference_update(business_ids)  # their transaction has ended

    def remember(business_id: int, types: frozenset[str]) -> None:
        version = versions.get(business_id)
        if version is not None and not (in_transaction and business_id in _changing()):
            _known[business_id] = (version, now, types)

    return known, remember


def _active(business_ids) -> dict[int, list[WebhookEndpoint]]:
    found: dict[int, list[WebhookEndpoint]] = {b: [] for b in business_ids}
    for endpoint in WebhookEndpoint.objects.filter(business_id__in=found, is_active=True):
        found[endpoint.business_id].append(endpoint)
    return found


def _wanted(endpoints: list[WebhookEndpoint]) -> frozenset[str]:
    return frozenset(t for endpoint in endpoints for t in endpoint.events)


def subscriptions_get(business_ids) -> dict[int, frozenset[str]]:
    """The types the active endpoints of each business want."""
    known, remember = _lookup(business_ids)
    unknown = set(business_ids) - known.keys()
    if unknown:
        for business_id, endpoints in _active(unknown).items():
            known[business_id] = _wanted(endpoints)
            remember(business_id, known[business_id])
    return known


def subscribed_endpoints(wants: dict[int, set[str]]) -> dict[int, list[WebhookEndpoint]]:
    """For ``{business_id: the types of its events}``: the active endpoints of each business
    that want one of them. No SQL when the answer is known and none does; otherwise the one
    query of the endpoints emit always made (which also fills what is known)."""
    known, remember = _lookup(wants)
    asked = {b for b in wants if b not in known or not known[b].isdisjoint(wants[b])}
    if not asked:
        return {}
    found = _active(asked)
    for business_id, endpoints in found.items():
        remember(business_id, _wanted(endpoints))
    return found


def subscriptions_changed(*, business_id: int) -> None:
    """An endpoint of the business was created, edited, enabled or disabled, or deleted:
    once that commits, every process reads its endpoints again."""

    def bump() -> None:
        cache.set(_version_key(business_id), uuid.uuid4().hex, None)

    _known.pop(business_id, None)
    if transaction.get_connection().in_atomic_block:
        _changing().add(business_id)
    if _shared():
        # robust: the change is committed; a cache that failed is logged (and a process
        # meeting no version at all reads the endpoints)
        transaction.on_commit(bump, robust=True)
