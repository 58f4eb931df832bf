"""Find every link in a message (URLs, bare domains, obfuscated dots) and judge its host."""

import contextlib
import ipaddress
import re
from dataclasses import dataclass

from .normalize import fold

# Top-level domains we recognise in bare domains (no scheme, no www.). Short ones that are
# also English words (in, at, to, do, me, is, it, us, be, so, no, my, go) only count with
# a path or when the whole host is a known shortener, so "now.In stock" is not a link.
COMMON_TLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "edu",
        "gov",
        "mil",
        "int",
        "info",
        "biz",
        "io",
        "co",
        "us",
        "uk",
        "ca",
        "au",
        "de",
        "fr",
        "es",
        "it",
        "nl",
        "eu",
        "ly",
        "me",
        "tv",
        "cc",
        "app",
        "dev",
        "xyz",
        "site",
        "online",
        "shop",
        "store",
        "club",
        "top",
        "link",
        "click",
        "live",
        "life",
        "today",
        "world",
        "news",
        "tech",
        "space",
        "website",
        "page",
        "pro",
        "vip",
        "win",
        "bid",
        "loan",
        "loans",
        "money",
        "cash",
        "credit",
        "finance",
        "casino",
        "bet",
        "poker",
        "porn",
        "sex",
        "xxx",
        "adult",
        "dating",
        "ru",
        "cn",
        "tk",
        "ml",
        "ga",
        "cf",
        "gq",
        "pw",
        "su",
        "ws",
        "la",
        "gl",
        "gd",
        "to",
        "at",
        "do",
        "id",
        "in",
        "is",
        "it",
        "be",
        "so",
        "no",
        "my",
        "go",
        "sh",
        "am",
        "fm",
        "ai",
        "gg",
        "ee",
        "lt",
        "lv",
        "cz",
        "pl",
        "ch",
        "se",
        "dk",
        "fi",
        "no",
        "br",
        "mx",
        "ar",
        "cl",
        "pe",
        "ve",
        "nz",
        "za",
        "ng",
        "ke",
        "in",
        "pk",
        "jp",
        "kr",
        "tw",
        "hk",
        "sg",
        "my",
        "th",
        "vn",
        "ph",
        "ie",
        "pt",
        "gr",
        "ro",
        "hu",
        "health",
        "care",
        "clinic",
        "dental",
        "salon",
        "beauty",
        "spa",
        "fitness",
        "law",
        "legal",
        "realty",
        "homes",
        "auto",
        "events",
        "ws",
        "biz",
        "buzz",
        "rocks",
        "fun",
        "icu",
        "cyou",
        "sbs",
        "bond",
        "cfd",
        "rest",
        "lol",
        "mobi",
        "name",
        "tel",
        "travel",
        "agency",
        "solutions",
        "services",
        "support",
        "center",
        "email",
        "network",
        "digital",
        "media",
        "studio",
        "design",
        "photography",
        "restaurant",
        "cafe",
        "bar",
        "pizza",
        "menu",
        "delivery",
    ]
)
WORDLIKE_TLDS = frozenset(
    [
        "in",
        "at",
        "to",
        "do",
        "me",
        "is",
        "it",
        "us",
        "be",
        "so",
        "no",
        "my",
        "go",
        "am",
        "id",
        "an",
        "as",
        "by",
        "he",
        "hi",
        "of",
        "on",
        "or",
        "we",
    ]
)

_OBF_DOT = re.compile(
    r"\s*(?:\[\s*(?:\.|dot)\s*\]|\(\s*(?:\.|dot)\s*\)|\{\s*(?:\.|dot)\s*\}|<\s*(?:\.|dot)\s*>)\s*"
    r"|\s+dot\s+|\s+\.\s+(?=[a-z]{2,6}\b)",
    re.IGNORECASE,
)
# what every match of _OBF_DOT contains ("dot" aside): a dot right after a bracket or a
# space ("[.]", "( . )", " . "); searching for it first is ~3x cheaper than _OBF_DOT, whose
# leading \s* makes every position a start
_OBF_HINT = re.compile(r"[\[({<\s]\.")


def _obf_hint(text: str) -> bool:
    """``_OBF_HINT.search(text)`` without ``re``: a dot right after a bracket or a space.
    ``re`` tried the set at every offset (every space is a start); a text has few dots."""
    i = text.find(".", 1)
    while i > 0:
        c = text[i - 1]
        if c in "[({<" or c.isspace():  # \s of a str pattern is str.isspace
            return True
        i = text.find(".", i + 1)
    return False


_URL = re.compile(
    r"(?:(?:https?|hxxps?|ftp)://|www\.)[^\s<>\"']+",
    re.IGNORECASE,
)
_BARE = re.compile(
    r"(?<![\w@.\-/])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+([a-z]{2,12}|xn--[a-z0-9\-]+))"
    r"(?::\d+)?(/[^\s<>\"']*)?(?![\w\-])",
    re.IGNORECASE,
)
_INNER_DOT = re.compile(r"[A-Za-z0-9\-]\.[A-Za-z0-9]")
_IP = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(/[^\s]*)?(?![\w.])")
_OBF_HOST = re.compile(
    r"([a-z0-9\-]+(?:(?:" + _OBF_DOT.pattern + r")[a-z0-9\-]+)+)(/[^\s]*)?", re.IGNORECASE
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
_IPV4ISH = re.compile(r"^(?:\d+|0x[0-9a-f]+)(?:\.(?:\d+|0x[0-9a-f]+)){0,3}$", re.IGNORECASE)
_TRAIL = ".,!?;:)]}'\""

AFFILIATE_PARAMS = frozenset(
    [
        "aff",
        "affid",
        "aff_id",
        "affiliate",
        "affiliate_id",
        "affiliateid",
        "subid",
        "sub_id",
        "sub1",
        "clickid",
        "click_id",
        "offerid",
        "offer_id",
        "oid",
        "hopid",
        "tid_aff",
        "leadid",
        "lead_id",
        "publisher_id",
        "pubid",
    ]
)


@dataclass(slots=True)
class Link:
    raw: str
    start: int
    end: int
    host: str
    path: str
    userinfo: str  # anything before '@' in the authority
    has_scheme: bool
    obfuscated_dots: bool  # written "bit[.]ly" or "bit dot ly"


def _parse(raw: str) -> tuple[str, str, str, bool]:
    s = raw
    has_scheme = "://" in s[:10]
    if has_scheme:
        s = s.split("://", 1)[1]
    authority, _, rest = s.partition("/")
    path = "/" + rest if rest else ""
    q = authority.find("?")
    if q >= 0:
        path = authority[q:] + path
        authority = authority[:q]
    userinfo = ""
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
    host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    host = host.strip("[]").rstrip(".")
    return host, path, userinfo, has_scheme


_NONSPACE = re.compile(r"\S*")


def _dotted_tokens(text: str) -> list[tuple[int, int]]:
    """Whitespace tokens with a dot between two letters or digits (where domains hide)."""
    out = []
    n = len(text)
    i = text.find(".")
    while i >= 0:
        if (
            0 < i < n - 1
            and (text[i - 1].isalnum() or text[i - 1] == "-")
            and text[i + 1].isalnum()
        ):
            start = max(text.rfind(" ", 0, i), text.rfind("\n", 0, i), text.rfind("\t", 0, i)) + 1
            m = _NONSPACE.match(text, i)
            assert m is not None  # \S* matches the empty string: it cannot fail
            end = m.end()
            out.append((start, end))
            i = text.find(".", end)
        else:
            i = text.find(".", i + 1)
    return out


def _bare_candidates(text: str, tokens: list[tuple[int, int]]):
    """Bare-domain matches, searched only inside the dotted tokens (scanning the whole
    text with the domain pattern is slow)."""
    for s, e in tokens:
        yield from _BARE.finditer(text, s, e)


def known_host(host: str, domains: frozenset[str] | set[str]) -> str | None:
    """The domain of ``domains`` that ``host`` is, or is a subdomain of (one set lookup per
    label)."""
    parts = host.split(".")
    for i in range(len(parts) - 1):
        cand = ".".join(parts[i:])
        if cand in domains:
            return cand
    return None


def find_links(text: str, shorteners: frozenset[str] | set[str] = frozenset()) -> list[Link]:
    """Every link in ``text``: URLs, www., bare domains, and dots written as [.] or ' dot '.
    A bare domain counts when its top-level domain is a common one, or when it is one of
    ``shorteners`` (rb.gy, 2.gp, bc.vc: public shorteners under rarer top-level domains)."""
    links: list[Link] = []
    taken: list[tuple[int, int]] = []

    def overlaps(a: int, b: int) -> bool:
        return any(s < b and a < e for s, e in taken)

    lower = text.lower()
    has_url = "://" in text or "www." in lower
    has_at = "@" in text
    dotted = _dotted_tokens(text)
    has_inner_dot = bool(dotted)
    has_obf = (
        "[" in text
        or "(" in text
        or "{" in text
        or "<" in text
        or " dot " in lower
        or " . " in text
    )
    if not (has_url or has_at or has_inner_dot or has_obf):
        return links
    for m in _URL.finditer(text) if has_url else ():
        raw = m.group().rstrip(_TRAIL)
        host, path, userinfo, has_scheme = _parse(raw)
        # https://bit[.]ly/x hides its host as bit[.]ly/x does without a scheme
        obfuscated = bool(_OBF_DOT.search(host))
        if obfuscated:
            host = _OBF_DOT.sub(".", host)
        links.append(
            Link(
                raw,
                m.start(),
                m.start() + len(raw),
                fold(host),
                path,
                userinfo,
                has_scheme,
                obfuscated,
            )
        )
        taken.append((m.start(), m.start() + len(raw)))
    emails = [(m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)] if has_at else []
    for s, e, raw in emails:
        if overlaps(s, e):
            continue
        local, _, domain = raw.rpartition("@")
        # brand.com@other.tld: the part before @ poses as a domain
        if "." in local and local.rsplit(".", 1)[1].lower() in COMMON_TLDS - WORDLIKE_TLDS:
            rest_end = e
            tail = re.match(r"/[^\s<>\"']*", text[e:])
            path = ""
            if tail:
                path = tail.group().rstrip(_TRAIL)
                rest_end = e + len(path)
            links.append(
                Link(text[s:rest_end], s, rest_end, fold(domain), path, local, False, False)
            )
        taken.append((s, e))
    for m in _bare_candidates(text, dotted):
        if overlaps(m.start(), m.end()):
            continue
        tld = m.group(2).lower()
        host0 = m.group(1).lower()
        if (
            tld not in COMMON_TLDS
            and not tld.startswith("xn--")
            and not (shorteners and known_host(host0, shorteners))
        ):
            continue
        raw = m.group().rstrip(_TRAIL)
        labels = m.group(1).lower().split(".")
        if labels[0].isdigit() and len(labels) < 4 and not known_host(host0, shorteners):
            continue  # 3.5 or 1.25 are numbers (3.ly and 2.gp are shorteners)
        if tld in WORDLIKE_TLDS and not m.group(3):
            # "now.In stock" is a missing space; a host like amzn.to is checked by the caller
            links.append(
                Link(raw, m.start(), m.start() + len(raw), fold(m.group(1)), "", "", False, False)
            )
            links[-1].path = "?wordlike"
            taken.append((m.start(), m.start() + len(raw)))
            continue
        host, path, userinfo, _ = _parse(raw)
        links.append(
            Link(raw, m.start(), m.start() + len(raw), fold(host), path, userinfo, False, False)
        )
        taken.append((m.start(), m.start() + len(raw)))
    # IP hosts without a scheme: 192.168.4.20/login
    for m in (m for s0, e0 in dotted for m in _IP.finditer(text, s0, e0)):
        if overlaps(m.start(), m.end()) or not m.group(2):
            continue
        links.append(
            Link(m.group(), m.start(), m.end(), m.group(1), m.group(2) or "", "", False, False)
        )
        taken.append(m.span())
    # Obfuscated dots: bit[.]ly, bit dot ly. Re-scan a de-obfuscated copy of the text.
    if has_obf and ("dot" in lower or _obf_hint(text)) and _OBF_DOT.search(text):
        for m in _OBF_HOST.finditer(text):
            if overlaps(m.start(), m.end()):
                continue
            host = _OBF_DOT.sub(".", m.group(1)).lower()
            tld = host.rsplit(".", 1)[-1]
            if tld in COMMON_TLDS or (shorteners and known_host(host, shorteners)):
                links.append(
                    Link(
                        m.group(), m.start(), m.end(), fold(host), m.group(2) or "", "", False, True
                    )
                )
                taken.append(m.span())
    return links


def is_ip_host(host: str) -> bool:
    if not host or not (host[0].isdigit() or ":" in host):
        return False  # every IP form starts with a digit (or is IPv6)
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        # decimal / hex / dotted-octal forms browsers still resolve
        return bool(_IPV4ISH.match(host))


def host_matches(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


def skeleton(host: str) -> str:
    """What a host looks like: IDNA decoded, confusables folded, common swaps undone."""
    h = host
    if "xn--" in h:
        with contextlib.suppress(UnicodeError):
            h = h.encode("ascii").decode("idna")
    h = fold(h)
    for a, b in (
        ("rn", "m"),
        ("vv", "w"),
        ("0", "o"),
        ("1", "l"),
        ("3", "e"),
        ("5", "s"),
        ("-", ""),
    ):
        h = h.replace(a, b)
    return h


def affiliate_params(path: str) -> list[str]:
    if "?" not in path:
        return []
    query = path.split("?", 1)[1]
    found = []
    for part in query.split("&"):
        key = part.split("=", 1)[0].lower()
        if key in AFFILIATE_PARAMS:
            found.append(key)
    return found
