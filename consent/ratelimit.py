"""Fixed-window counters in the cache (Redis): cheap limits for public endpoints.

With Redis one attempt is one round trip (a pipeline: INCR the window's counter, set its
expiry when it has none yet), and so are several limits asked in turn (``hit_all``: a
script), with a single-use key's first use before them (``use_and_hit_all``: the public
form's token); any other cache takes add-then-incr.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

# With ARGV[1] (seconds) not 0, the first use of KEYS[1] (cache.add's SET NX with expiry):
# -1 when it was used already, nothing counted. Then hit() for each KEYS[i], i >= 2 (limit
# ARGV[2i-2], window ARGV[2i-1]) in turn, stopping at the first refused: 0 if all passed,
# else the refused one's position among the limits. Redis runs a script atomically.
_USE_AND_HIT = """
if ARGV[1] ~= '0' and not redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  return -1
end
for i = 2, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1], 'NX')
  if count > tonumber(ARGV[2 * i - 2]) then return i - 1 end
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
    if len(limits) < 2:
        return all(hit(key, spec) for key, spec in limits)
    return use_and_hit_all(None, limits) == 0


USED = -1


def use_and_hit_all(once: tuple[str, int] | None, limits: list[tuple[str, str]]) -> int:
    """The first use of ``once`` (cache key, seconds: ``cache.add(key, 1, seconds)``), then
    ``hit_all(limits)``: ``USED`` when the key was used already (no limit counted), 0 when
    all passed, else the position (from 1) of the refused limit. One round trip with Redis."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        if once is not None and not cache.add(once[0], 1, once[1]):
            return USED
        refused = (i for i, (key, spec) in enumerate(limits, 1) if not hit(key, spec))
        return next(refused, 0)
    first = cache.make_and_validate_key(once[0] if once else "consent:rl:-")
    names = [first, *(cache.make_and_validate_key(f"consent:rl:{key}") for key, _ in limits)]
    args: list[int] = [max(1, once[1]) if once else 0]
    for _, spec in limits:
        args += parse(spec)
    # every write goes to the first server (Django's RedisCache), so all keys are on it
    client = cache._cache.get_client(names[0], write=True)
    return int(_script(client)(keys=names, args=args, client=client))


def _script(client):
    """The script object, made once (it runs by its SHA1; redis-py loads it on NOSCRIPT)."""
    global _use_and_hit_script
    if _use_and_hit_script is None:
        _use_and_hit_script = client.register_script(_USE_AND_HIT)
    return _use_and_hit_script


_use_and_hit_script = None
