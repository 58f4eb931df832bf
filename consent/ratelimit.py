"""Fixed-window counters in the cache (Redis): cheap limits for public endpoints."""

from django.core.cache import cache


def parse(spec: str) -> tuple[int, int]:
    count, seconds = spec.split("/")
    return int(count), int(seconds)


def hit(key: str, spec: str) -> bool:
    """Count one attempt; False when the limit for this window is already used up."""
    limit, window = parse(spec)
    full = f"consent:rl:{key}"
    if cache.add(full, 1, window):
        return True
    try:
        value = cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.add(full, 1, window)
        return True
    return value <= limit
