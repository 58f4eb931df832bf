"""Content fingerprints for snowshoeing: the same or near-same message from many numbers."""

import hashlib

from .normalize import normalise


def _canonical(text: str) -> list[str]:
    # digits vary per recipient (dates, amounts, codes); letters carry the content
    return ["#" if any(c.isdigit() for c in w[0]) else w[0] for w in normalise(text).words]


def fingerprint(text: str) -> str:
    """Exact fingerprint of the normalised content (case, spacing, look-alikes folded)."""
    return hashlib.blake2b(" ".join(_canonical(text)).encode(), digest_size=8).hexdigest()


def simhash(text: str) -> int:
    """64-bit SimHash over word pairs: near-same texts differ in few bits."""
    words = _canonical(text)
    feats = [" ".join(words[i : i + 2]) for i in range(max(1, len(words) - 1))] or [""]
    acc = [0] * 64
    for f in feats:
        h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "big")
        for b in range(64):
            acc[b] += 1 if h >> b & 1 else -1
    value = 0
    for b in range(64):
        if acc[b] > 0:
            value |= 1 << b
    # stored in a signed 64-bit column
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
