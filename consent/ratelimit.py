"""Fixed-window counters in the cache (Redis): cheap limits for public endpoints.

With Redis one attempt is one round trip (a pipeline: INCR the window's counter, set its
expiry when it has none yet), and so are several limits asked in turn (``hit_all``: a
script); any other cache takes add-then-incr.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# hit() for each KEYS[i] (limit ARGV[2i-1], window ARGV[2i]) in turn, stopping at the first
# refused: 0 if all passed, else the refused one's position. Redis runs a script atomically.
_HIT_ALL = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[2 * i], 'NX')
  if count > tonumber(ARGV[2 * i - 1]) then return i end
end
return 0
"""


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


def hit_all(limits: list[tuple[str, str]]) -> bool:
    """``hit`` for each (key, spec) in order, stopping at the first refused one (the later
    ones are not counted, as with ``hit(a) and hit(b)``); False if one refused. One round
    trip with Redis."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache) or len(limits) < 2:
        return all(hit(key, spec) for key, spec in limits)
    names = [cache.make_and_validate_key(f"consent:rl:{key}") for key, _ in limits]
    args: list[int] = []
    for _, spec in limits:
        args += parse(spec)
    # every write goes to the first server (Django's RedisCache), so all keys are on it
    client = cache._cache.get_client(names[0], write=True)
    return int(_script(client)(keys=names, args=args, client=client)) == 0


def _script(client):
    """The script object, made once (it runs by its SHA1; redis-py loads it on NOSCRIPT)."""
    global _hit_all_script
    if _hit_all_script is None:
        _hit_all_script = client.register_script(_HIT_ALL)
    return _hit_all_script


_hit_all_script = None
