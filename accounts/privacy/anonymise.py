"""Pure helpers that make request metadata non-identifying: truncated IPs, UA families."""

import ipaddress
import re


def ip_truncate(ip: str | None) -> str:
    """IPv4 keeps its /24 (last octet zeroed), IPv6 its /48; anything else becomes ''."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return str(network.network_address)


# Order matters: Edge and Opera carry "Chrome", Chrome carries "Safari".
_BROWSERS = [
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"(?:OPR|Opera)/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS|Chromium)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[\d.]* (?:Mobile/\w+ )?Safari/")),
]
_OSES = [
    ("iOS", re.compile(r"iPhone|iPad|iPod")),
    ("Android", re.compile(r"Android")),
    ("Windows", re.compile(r"Windows")),
    ("macOS", re.compile(r"Macintosh|Mac OS X")),
    ("ChromeOS", re.compile(r"CrOS")),
    ("Linux", re.compile(r"Linux|X11")),
]
_BOT = re.compile(r"bot|crawl|spider|slurp|curl|wget|python-requests|headless", re.IGNORECASE)


def user_agent_summary(user_agent: str | None) -> dict[str, str]:
    """Browser family with major version, OS family and device type; never the full string."""
    ua = (user_agent or "")[:1000]
    if not ua:
        return {"browser": "", "os": "", "device": ""}
    browser = "Other"
    for name, pattern in _BROWSERS:
        match = pattern.search(ua)
        if match:
            browser = f"{name} {match.group(1)}"
            break
    os_name = next((name for name, pattern in _OSES if pattern.search(ua)), "Other")
    if _BOT.search(ua):
        device = "bot"
    elif "iPad" in ua or "Tablet" in ua or (os_name == "Android" and "Mobile" not in ua):
        device = "tablet"
    elif "Mobile" in ua or "iPhone" in ua:
        device = "mobile"
    else:
        device = "desktop"
    return {"browser": browser, "os": os_name, "device": device}


def user_agent_family(user_agent: str | None) -> str:
    summary = user_agent_summary(user_agent)
    if not summary["browser"]:
        return ""
    return f"{summary['browser']} / {summary['os']} / {summary['device']}"
