"""No URL pattern shadows another: no path can match two patterns, so the order of the
``include()``s that share the root in config/urls.py decides nothing.

Two patterns overlap when they have as many segments and every pair of segments can match
one same text: equal literals; a literal the other segment's converters accept; or two
converter segments with a common sample (an int, a uuid, a slug, a dotted word). Django's
admin is left out: it is Django's, under its own prefix, and orders its own catch-alls.
"""

import itertools
import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import get_converters
from django.urls.resolvers import RoutePattern

SKIP_NAMESPACES = {"admin"}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# Texts that converters accept, one of each shape: two converter segments overlap if one of
# these (or their mix) fits both.
SAMPLES = ("0", "42", str(uuid.UUID(int=0)), "a", "a-b_c", "a.b", "A~", "-")


@dataclass(frozen=True)
class Segment:
    regex: str  # anchored by fullmatch
    literal: str | None  # the text itself when the segment has no converter
    samples: tuple[str, ...]  # texts the segment accepts


def segments(route: str) -> list[Segment]:
    """``route`` (a path() route, prefixes joined) split on "/" into segments."""
    converters = get_converters()
    out = []
    for part in route.split("/"):
        regex, samples, pos = "", [""], 0
        for m in PARAMETER.finditer(part):
            name = m.group("converter") or "str"
            if name == "path":
                raise ValueError(f"{route}: a <path:> converter crosses segments; not checked")
            literal = re.escape(part[pos : m.start()])
            regex += literal + f"(?:{converters[name].regex})"
            samples = [s + part[pos : m.start()] + v for s in samples for v in SAMPLES]
            pos = m.end()
        regex += re.escape(part[pos:])
        samples = [s + part[pos:] for s in samples if re.fullmatch(regex, s + part[pos:])]
        literal = part if pos == 0 else None
        out.append(Segment(regex, literal, tuple(samples)))
    return out


def segments_overlap(a: Segment, b: Segment) -> bool:
    if a.literal is not None and b.literal is not None:
        return a.literal == b.literal
    if a.literal is not None:
        return re.fullmatch(b.regex, a.literal) is not None
    if b.literal is not None:
        return re.fullmatch(a.regex, b.literal) is not None
    return any(re.fullmatch(b.regex, s) for s in a.samples) or any(
        re.fullmatch(a.regex, s) for s in b.samples
    )


def routes_overlap(a: str, b: str) -> bool:
    sa, sb = segments(a), segments(b)
    return len(sa) == len(sb) and all(segments_overlap(x, y) for x, y in zip(sa, sb, strict=True))


def all_routes(patterns=None, prefix: str = "", name: str = "") -> list[tuple[str, str]]:
    """(route, name) of every URL pattern outside the admin, prefixes joined."""
    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(p.pattern, RoutePattern):
            raise TypeError(f"{prefix}{p.pattern}: use path(), not re_path(), to be checked")
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            if p.namespace in SKIP_NAMESPACES:
                continue
            ns = f"{name}{p.namespace}:" if p.namespace else name
            out.extend(all_routes(p.url_patterns, route, ns))
        elif isinstance(p, URLPattern):
            out.append((route, f"{name}{p.name}"))
    return out


def test_no_url_pattern_shadows_another():
    routes = all_routes()
    assert len(routes) > 100  # the walk found the site
    clashes = [
        f"{na} ({ra}) and {nb} ({rb})"
        for (ra, na), (rb, nb) in itertools.combinations(routes, 2)
        if routes_overlap(ra, rb)
    ]
    assert not clashes, "URL patterns that can match one same path:\n" + "\n".join(clashes)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("legal/<slug:kind>/", "legal/plain/", True),  # a literal the converter accepts
        ("legal/<slug:kind>/", "legal/plain/<slug:page>/", False),  # one segment more
        ("f/<uuid:form_uuid>/", "f/new/", False),  # "new" is no uuid
        ("app/<str:token>/", "app/<uuid:pk>/", True),  # every uuid is a str
        ("app/<int:pk>/", "app/<uuid:pk>/", False),
        ("app/contacts/export.csv", "app/contacts/<slug:s>", False),  # "." is not in a slug
        ("app/contacts/export.csv", "app/contacts/<str:s>", True),
        ("app/<int:a>.csv", "app/<slug:b>.csv", True),
        ("", "app/", False),
        ("healthz", "healthz", True),
    ],
)
def test_overlap_is_judged_segment_by_segment(a, b, overlap):
    assert routes_overlap(a, b) is overlap
    assert routes_overlap(b, a) is overlap
