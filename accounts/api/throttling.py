"""The API's rate limit per key: a sliding-window estimate over two fixed-window counters.

DRF's ``SimpleRateThrottle`` keeps a list with a timestamp of every request in the window and
reads, trims and writes the whole pickled list back on each request: at the default 6,000 a
minute a busy key moved a list of thousands of floats through Redis on every call, and the
read-modify-write lost counts between concurrent requests (bench_load, docs/reliability.md).
Here a request costs one Redis round trip (pipelined: INCR this window's counter, set its
expiry once, GET the previous window's), whatever the rate.

The estimate is Cloudflare's: ``previous × (share of the window not yet elapsed) + current``.
Refused requests count too, so a client that keeps hammering stays refused.
"""

import math

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from accounts.client_ip import client_ip


def window_counts(key: str, window: int, now: float) -> tuple[int, int]:
    """Count one request in the current ``window``-second window of ``key``; return the
    counts of the current and the previous window."""
    cache = caches["default"]
    index = int(now // window)
    current, previous = f"{key}:{index}", f"{key}:{index - 1}"
    if isinstance(cache, RedisCache):
        full = cache.make_and_validate_key(current)
        client = cache._cache.get_client(full, write=True)
        count, _, before = _pipelined(
            client,
            [
                ("INCR", full),
                ("EXPIRE", full, window * 2, "NX"),
                ("GET", cache.make_and_validate_key(previous)),
            ],
        )
        return int(count), int(before or 0)
    # any other cache (local memory without Redis): the same counters, more round trips
    if not cache.add(current, 1, window * 2):
        try:
            count = cache.incr(current)
        except ValueError:  # expired between add and incr
            cache.add(current, 1, window * 2)
            count = 1
    else:
        count = 1
    return count, int(cache.get(previous) or 0)


def _pipelined(client, commands: list[tuple]) -> list:
    """``commands`` in one round trip on a pooled connection, with the connection's own
    retries, as ``client.pipeline(transaction=False)`` sends them, without building the
    pipeline's command stack and bookkeeping (half the CPU of the API's throttle: every
    request through the API pays it). A failure leaves no reply unread on a pooled
    connection: it is closed."""
    pool = client.connection_pool
    conn = pool.get_connection()
    packed = conn.pack_commands(commands)

    def run() -> list:
        conn.send_packed_command(packed)
        return [conn.read_response() for _ in commands]

    try:
        return conn.retry.call_with_retry(run, lambda _error: conn.disconnect())
    except BaseException:
        conn.disconnect()
        raise
    finally:
        pool.release(conn)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key (not per IP), so one integration cannot starve the others."""

    scope = "api_key"
    num_requests: int  # set by SimpleRateThrottle.__init__ from the rate
    duration: int
    _wait: float = 1.0

    def get_ident(self, request):
        # DRF's own reads X-Forwarded-For from any peer; ours trusts only TRUSTED_PROXIES.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        key = getattr(request, "auth", None)
        if key is None or not hasattr(key, "prefix"):
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_key_for(key)

    def cache_key_for(self, api_key) -> str:
        """The counter of an API key (its prefix): what ``allow_key`` counts."""
        return self.cache_format % {"scope": self.scope, "ident": api_key.prefix}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        return key is None or self.allow_key(key)

    def allow_api_key(self, api_key) -> bool:
        """``allow_request`` for a caller already known by its key, without a DRF request
        (the lean send path, ``accounts.api.lean``): the same counter, the same answer."""
        return self.rate is None or self.allow_key(self.cache_key_for(api_key))

    def allow_key(self, key: str) -> bool:
        """Count one request against the counter ``key`` and say whether it may go; ``wait``
        then says for how long it may not."""
        self.key = key
        window = int(self.duration)
        now = self.timer()
        current, previous = window_counts(self.key, window, now)
        elapsed = (now % window) / window
        estimate = previous * (1 - elapsed) + current
        if estimate <= self.num_requests:
            return True
        # until the previous window's weight has fallen enough (or this window ends)
        if previous and current <= self.num_requests:
            self._wait = window * (1 - (self.num_requests - current) / previous) - now % window
        else:
            self._wait = window - now % window
        return False

    def wait(self):
        return max(math.ceil(self._wait), 1)
