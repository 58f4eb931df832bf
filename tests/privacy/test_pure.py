"""Pure helpers: truncated IPs, user-agent families, the consent cookie's encoding."""

import pytest

from accounts.privacy.anonymise import ip_truncate, user_agent_family, user_agent_summary
from accounts.privacy.cookies import CookieChoice

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
EDGE_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36 Edg/121.0.2277.83"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
FIREFOX_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.1; rv:120.0) Gecko/20100101 Firefox/120.0"
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.0.0 Safari/537.36"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.77", "203.0.113.0"),
        ("10.1.2.3", "10.1.2.0"),
        ("2001:db8:abcd:12:34:56:78:9a", "2001:db8:abcd::"),
        ("::ffff:198.51.100.9", "198.51.100.0"),
        ("not an ip", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_ip_truncate(ip, expected):
    assert ip_truncate(ip) == expected


@pytest.mark.parametrize(
    ("ua", "browser", "os", "device"),
    [
        (CHROME_LINUX, "Chrome 120", "Linux", "desktop"),
        (EDGE_WIN, "Edge 121", "Windows", "desktop"),
        (SAFARI_IPHONE, "Safari 17", "iOS", "mobile"),
        (FIREFOX_MAC, "Firefox 120", "macOS", "desktop"),
        (ANDROID_TABLET, "Chrome 119", "Android", "tablet"),
        (ANDROID_PHONE, "Chrome 120", "Android", "mobile"),
        ("curl/8.4.0", "Other", "Other", "bot"),
        ("", "", "", ""),
    ],
)
def test_user_agent_summary(ua, browser, os, device):
    assert user_agent_summary(ua) == {"browser": browser, "os": os, "device": device}


def test_user_agent_family_never_keeps_the_full_string():
    family = user_agent_family(CHROME_LINUX)
    assert family == "Chrome 120 / Linux / desktop"
    assert "AppleWebKit" not in family


def test_cookie_choice_round_trip():
    choice = CookieChoice(
        version="7",
        browser_id="7d3f6c2a-55d5-4d67-8a3e-3a4cf1d8e0b1",
        allowed={"performance": True, "functionality": False, "advertising": True},
    )
    decoded = CookieChoice.decode(choice.encode())
    assert decoded == choice
    assert decoded.allows("essential") and decoded.allows("performance")
    assert not decoded.allows("functionality")


@pytest.mark.parametrize(
    "raw",
    ["", "7|10|not-a-uuid", "7|1x0|7d3f6c2a-55d5-4d67-8a3e-3a4cf1d8e0b1", "7|10"],
)
def test_cookie_choice_rejects_garbage(raw):
    assert CookieChoice.decode(raw) is None
