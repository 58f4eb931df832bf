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
def test_a_lone_surrogate_is_answered_escaped_as_it_was_read(tmp_path):
    """JSON may escape half of a surrogate pair ("\\ud83d"); UTF-8 cannot hold it. The line
    is answered (its id written back escaped, as read), not a crash that loses the file."""
    out, err = _run(
        tmp_path,
        "messages",
        [
            {"id": "\ud83d", "body": "See you at 3 \ud83d", "kind": "conversational"},
            {"id": "next", "body": "hi", "kind": "conversational"},
        ],
    )
    assert err is None
    assert [row["id"] for row in out] == ["\ud83d", "next"]
    assert out[0]["decision"] in ("allow", "review", "block")
    assert "\\ud83d" in (tmp_path / "out.jsonl").read_text()


@pytest.mark.django_db
def test_policy_score_prints_every_set(capsys, tmp_path):
    # the cross-validated training sets retrain five times (minutes on a loaded machine);
    # test_learned covers cross-validation on a small corpus
    call_command("policy_score", "--no-train-cv", "--json", str(tmp_path / "s.json"))
    printed = capsys.readouterr().out
    assert "messages_holdout" in printed and "block recall" in printed
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["sets"]["messages_dev"]["block_recall"] >= 0.95
    assert "messages_frozen (frozen)" in data["sets"]
    call_command("policy_score", "--no-train-cv", "--no-frozen", "--json", str(tmp_path / "n.json"))
    assert not any(
        "frozen" in name for name in json.loads((tmp_path / "n.json").read_text())["sets"]
    )


def test_bench_policy_writes_a_report(tmp_path, capsys):
    call_command(
        "bench_policy", "--seconds", "0.05", "--rounds", "1", "--report", str(tmp_path / "b.json")
    )
    data = json.loads((tmp_path / "b.json").read_text())
    assert data["cpu_msg_per_s"] > 0 and data["rounds"][0]["messages"] > 0
    assert data["layers"] is True and data["business_screen"]["wall_p99_ms"] > 0
    assert "thread CPU" in capsys.readouterr().out


@pytest.mark.django_db
def test_bench_policy_times_the_cli_in_its_own_processes(tmp_path, capsys):
    # The figures themselves are the benchmark's business: 100 lines are within the noise of
    # a process start on a loaded machine (a difference can come out negative), so the test
    # checks that both files went through the CLI and the report says so, not their speed.
    call_command("bench_policy", "--cli", "100", "--report", str(tmp_path / "cli.json"))
    data = json.loads((tmp_path / "cli.json").read_text())
    assert data["lines"] == 100
    keys = {"wall_us_per_line", "cpu_us_per_line", "wall_lines_per_s", "cpu_lines_per_s"}
    for label in ("repeated bodies (the mix)", "distinct bodies"):
        assert set(data[label]) == keys
        assert isinstance(data[label]["cpu_us_per_line"], float | int)
    out = capsys.readouterr().out
    assert out.count("lines/s CPU ((100 lines - 1 line) / 100)") == 2


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


def _small_fixture(tmp_path, **changes):
    """The shipped fixture cut to a few rules (the rest count as dropped), with changes."""
    from policies import engine

    data = engine.load_fixture()
    data = {
        **data,
        "version": "2099.1.1",
        "terms": data["terms"][:2],
        "industries": [],
        "marketing_phrases": data["marketing_phrases"][:2],
        **changes,
    }
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(data))
    return data, path


@pytest.mark.django_db
def test_policy_rules_load_updates_rules_and_keeps_staff_edits(tmp_path, staff_user, business):
    from policies import engine
    from policies.models import RuleChange, RuleSet, Term

    shipped = engine.load_fixture()
    first, second, dropped = (t["id"] for t in shipped["terms"][:3])
    Term.objects.filter(rule_id=second).update(phrase="staff phrase", updated_by=staff_user)
    Term.objects.filter(rule_id="conformance.marketing.0").update(
        phrase="staff sale", updated_by=staff_user
    )
    terms = [
        {**shipped["terms"][0], "phrase": "zorblax loan"},
        {**shipped["terms"][1], "phrase": "fixture phrase"},
    ]
    _data, path = _small_fixture(tmp_path, terms=terms, marketing_phrases=["new sale", "new event"])
    before = RuleSet.objects.get().revision

    call_command("policy_rules_load", str(path))

    phrases = dict(Term.objects.values_list("rule_id", "phrase"))
    assert phrases[first] == "zorblax loan"
    assert phrases[second] == "staff phrase"
    assert phrases["conformance.marketing.0"] == "staff sale"
    assert phrases["conformance.marketing.1"] == "new event"
    assert not Term.objects.get(rule_id=dropped).enabled
    rs = RuleSet.objects.get()
    assert rs.version == "2099.1.1" and rs.revision > before
    assert RuleChange.objects.filter(kind="RuleSet", action="load").exists()
    # the engine recompiled on the loaded rules
    decision = services.message_check(
        business=business, body="Get your zorblax loan today", kind="conversational"
    )
    assert not decision.allowed

    call_command("policy_rules_load", str(path), "--overwrite-edited")
    phrases = dict(Term.objects.values_list("rule_id", "phrase"))
    assert phrases[second] == "fixture phrase"
    assert phrases["conformance.marketing.0"] == "new sale"


@pytest.mark.django_db
def test_policy_rules_load_refuses_a_broken_fixture_and_changes_nothing(tmp_path):
    from policies import engine
    from policies.models import RuleSet, Term

    first = engine.load_fixture()["terms"][0]
    _data, path = _small_fixture(
        tmp_path, terms=[{**first, "phrase": "changed", "category": "no_such_category"}]
    )
    before = RuleSet.objects.get().revision
    with pytest.raises(CommandError, match="no_such_category"):
        call_command("policy_rules_load", str(path))
    assert Term.objects.get(rule_id=first["id"]).phrase == first["phrase"]
    assert RuleSet.objects.get().revision == before
    assert Term.objects.filter(enabled=True).count() > 100  # nothing switched off

    with pytest.raises(CommandError, match="Cannot read"):
        call_command("policy_rules_load", str(tmp_path / "missing.json"))
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(CommandError, match="not a rules fixture"):
        call_command("policy_rules_load", str(tmp_path / "list.json"))
