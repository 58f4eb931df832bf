"""Fixed-window counters in the cache (Redis): cheap limits for public endpoints.

With Redis one attempt is one round trip (a pipeline: INCR the window's counter, set its
expiry when it has none yet); any other cache takes add-then-incr.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def parse(spec: str) -> tuple[int, int]:
    count, seconds = spec.split("/")
    return int(count), int(seconds)


def hit(key: str, spec: str) -> bool:
    """Count one attempt; False when the limit for this window is already used up."""
    limit, window = parse(spec)
    full = f"consent:rl:{key}"
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        name = cache.make_and_validate_key(full)
        pipe = cache._cache.get_client(name, write=True).pipeline(transaction=False)
        pipe.incr(name)
        # NX: the first attempt of a window starts its clock; later ones never extend it
        pipe.expire(name, window, nx=True)
        value, _ = pipe.execute()
        return int(value) <= limit
    if cache.add(full, 1, window):
        return True
    try:
        value = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, window)
        return True
    return value <= limit
