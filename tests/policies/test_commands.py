"""The CLI on the database rules (right after migrate), scoring and benchmark commands."""

import json

import pytest
from django.core.management import CommandError, call_command

from policies import services


@pytest.fixture(autouse=True)
def _fresh_rules():
    services.rules_reset()


def _run(tmp_path, what, rows, raw_lines=()):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(raw_lines))
    out = tmp_path / "out.jsonl"
    err = None
    try:
        call_command("policy_check", what, str(src), "--out", str(out))
    except CommandError as exc:
        err = exc
    return [json.loads(line) for line in out.read_text().splitlines()], err


@pytest.mark.django_db
def test_policy_check_messages(tmp_path):
    rows = [
        {
            "id": "m1",
            "body": "Your cleaning is tomorrow at 9am.",
            "brand_domains": ["brightsmile.com"],
            "kind": "transactional",
        },
        {
            "id": "m2",
            "body": "Book: bit.ly/x",
            "brand_domains": ["brightsmile.com"],
            "kind": "transactional",
        },
        {"id": "m3", "body": "p4yd4y l0ans fast", "brand_domains": [], "kind": "conversational"},
    ]
    out, err = _run(tmp_path, "messages", rows)
    assert err is None
    assert [o["id"] for o in out] == ["m1", "m2", "m3"]
    assert out[0] == {"id": "m1", "decision": "allow", "categories": [], "reasons": []}
    assert out[1]["decision"] == "block" and out[1]["categories"] == ["link_shortener"]
    assert (
        out[1]["reasons"][0]["message"]
        == "bit.ly is a public link shortener; use a link on brightsmile.com."
    )
    assert out[2]["categories"] == ["lending", "evasion"]


@pytest.mark.django_db
def test_policy_check_businesses(tmp_path):
    rows = [
        {
            "id": "b1",
            "name": "Luna Salon",
            "industry_description": "Hair salon",
            "website": "https://lunasalon.com",
        },
        {
            "id": "b2",
            "name": "Green Leaf",
            "industry_description": "Cannabis dispensary",
            "website": "https://gl.com",
        },
    ]
    out, err = _run(tmp_path, "businesses", rows)
    assert err is None
    assert out[0]["decision"] == "allow"
    assert out[1]["decision"] == "block" and out[1]["categories"][0] == "cannabis"


@pytest.mark.django_db
def test_bad_lines_are_reported_by_number_not_dropped(tmp_path):
    out, err = _run(
        tmp_path,
        "messages",
        [{"id": "ok", "body": "hi", "kind": "conversational"}],
        raw_lines=["not json\n", json.dumps({"id": "k", "body": "x", "kind": "loud"}) + "\n"],
    )
    assert err is not None
    assert len(out) == 3
    assert out[1]["error"].startswith("line 2:") and out[1]["decision"] is None
    assert out[2]["id"] == "k" and "kind" in out[2]["error"]


@pytest.mark.django_db
def test_policy_score_prints_every_set(capsys, tmp_path):
    call_command("policy_score", "--json", str(tmp_path / "s.json"))
    printed = capsys.readouterr().out
    assert "messages_holdout" in printed and "block recall" in printed
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["sets"]["messages_dev"]["block_recall"] >= 0.95


def test_bench_policy_writes_a_report(tmp_path, capsys):
    call_command(
        "bench_policy", "--seconds", "0.05", "--rounds", "1", "--report", str(tmp_path / "b.json")
    )
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["cpu_msg_per_s"] > 0 and data["rounds"][0]["messages"] > 0
    assert "thread CPU" in capsys.readouterr().out


@pytest.mark.django_db
def test_policy_stoplist_keeps_real_words_away_from_misspelling_matches(tmp_path, business):
    from policies.models import RuleChange, RuleSet

    words = tmp_path / "words.txt"
    words.write_text("casing\nhello\n")
    call_command("policy_stoplist", str(words))
    assert RuleSet.objects.get().fuzzy_stoplist == ["casing"]
    assert RuleChange.objects.filter(rule="fuzzy_stoplist").exists()
    d = services.message_check(business=business, body="new phone casing", kind="conversational")
    assert d.allowed


@pytest.mark.django_db
def test_policy_stoplist_without_a_database_rule_set_says_so(tmp_path):
    """No RuleSet row (the engine then runs on the shipped fixture): a clear error, not a
    crash on ``None.pk``, and nothing recorded."""
    from policies.models import RuleChange, RuleSet

    RuleSet.objects.all().delete()
    words = tmp_path / "words.txt"
    words.write_text("casing\n")
    with pytest.raises(CommandError, match="no rule set"):
        call_command("policy_stoplist", str(words))
    assert not RuleSet.objects.exists()
    assert not RuleChange.objects.filter(rule="fuzzy_stoplist").exists()
