"""Scope keys of ``ConsentState`` rows: pure, no ORM.

A state row is kept per contact and scope: ``all`` (revocations of everything and their
lifting), ``c:<campaign uuid>`` or ``k:<message kind>``.
"""

ALL = "all"
KINDS = ("marketing", "informational")
_KIND_KEYS = tuple(f"k:{kind}" for kind in KINDS)  # scope_key(kind=...), built once


def scope_key(*, campaign=None, kind: str | None = None) -> str:
    if campaign is not None:
        return f"c:{campaign.uuid}"
    if kind:
        return f"k:{kind}"
    return ALL


def decision_keys(campaign) -> list[str]:
    """The keys a send decision reads: ``all``, the campaign's (if any), then every kind."""
    keys = [ALL]
    if campaign is not None:
        keys.append(scope_key(campaign=campaign))
    return [*keys, *_KIND_KEYS]
