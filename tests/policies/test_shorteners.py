"""Public link shorteners under rarer top-level domains (rb.gy, bc.vc, shorturl.asia) and
the ones rules fixture 2026.12.3 (migration 0010) added: blocked as shorteners, written
bare, with a scheme, in capitals or with bracketed dots; through the engine, the database
rules and the CLI."""

import json

import pytest
from django.core.management import call_command

from policies import services
from policies.engine import check_message, load_fixture, shipped_rules
from policies.engine import links as L
from tests.factories.accounts import BusinessFactory

STOP = " Reply STOP to opt out."
# added by fixture 2026.12.3
ADDED = [
    "qr.io",
    "qr.net",
    "dub.sh",
    "x.gd",
    "da.gd",
    "vk.cc",
    "u.nu",
    "urlr.me",
    "shorturl.gg",
    "shorturl.asia",
    "tinu.be",
    "goo.su",
    "ppt.cc",
    "reurl.cc",
    "pse.is",
    "lihi.cc",
    "hubs.ly",
    "hubs.la",
    "zpr.io",
]


def _decide(body, rules=None, brand=("brightsmile.com",)):
    d = check_message(body, rules or shipped_rules(), kind="marketing", brand_domains=list(brand))
    return d.decision, d.categories, [r.rule_id for r in d.reasons]


@pytest.mark.parametrize(
    "body",
    [
        "Big sale today! rb.gy/abc123",
        "Big sale today: RB.GY/Ab12",
        "Big sale today https://rb.gy/x7y2",
        "Big sale today, see rb[.]gy/x7y2",
        "Our new menu: menu.rb.gy/x",
        "Today only at rb.gy",
    ],
)
def test_an_rb_gy_link_is_a_shortener(body):
    decision, categories, _ = _decide(body + STOP)
    assert decision == "block"
    assert "link_shortener" in categories


@pytest.mark.parametrize("domain", [*ADDED, "y.gy", "short.gy", "bc.vc", "2.gp", "3.ly", "tny.im"])
def test_every_listed_shortener_is_blocked_written_bare(domain):
    decision, categories, ids = _decide(f"New arrivals this week: {domain}/k3Xq9{STOP}")
    assert (decision, categories) == ("block", ["link_shortener"])
    assert ids == ["link.shortener"]


def test_an_unlisted_host_under_a_rare_tld_is_still_no_link():
    # only a known shortener makes a bare domain under .gy / .vc a link
    assert L.find_links("see foo.gy/abc today") == []
    assert [lk.host for lk in L.find_links("see rb.gy/abc", frozenset({"rb.gy"}))] == ["rb.gy"]
    assert _decide("Fresh bread at foo.gy/abc" + STOP)[0] == "allow"


def test_the_shipped_list_holds_the_commonly_cited_shorteners():
    # the shorteners the project's compliance notes cite (Telnyx, Twilio 30963, Pi-hole)
    cited = [
        "bit.ly",
        "bitly.com",
        "j.mp",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "ht.ly",
        "is.gd",
        "v.gd",
        "t.co",
        "buff.ly",
        "rebrand.ly",
        "rb.gy",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "bit.do",
        "t.ly",
        "s.id",
        "lnkd.in",
        "amzn.to",
        "fb.me",
        "qrco.de",
        "bl.ink",
        "snip.ly",
        "adf.ly",
    ]
    assert set(cited) | set(ADDED) <= shipped_rules().shorteners


@pytest.mark.django_db
def test_migration_0010_ships_them_and_the_gate_blocks_rb_gy(tmp_path):
    rules = services.rules_current()
    # the newest shipped fixture (its migration ran with the others)
    assert rules.version.startswith(load_fixture()["version"])
    assert set(ADDED) | {"rb.gy"} <= rules.shorteners
    d = services.message_check(
        business=BusinessFactory(), body="20% off this week: rb.gy/x7y2" + STOP, kind="marketing"
    )
    assert d.decision == "block" and "link_shortener" in d.categories
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text(json.dumps({"id": 1, "body": "Deals: rb.gy/x7y2" + STOP, "kind": "marketing"}))
    call_command("policy_check", "messages", str(src), "--out", str(out))
    row = json.loads(out.read_text())
    assert row["decision"] == "block" and row["categories"] == ["link_shortener"]
    assert row["reasons"][0]["message"].startswith("rb.gy is a public link shortener")
