"""Issue 17, session 9: the engine compiled with mypyc (policies/engine/accel.py) answers
byte for byte as the pure-Python engine it is built from, and is used only when it is.

The suite itself runs the pure-Python engine (config/settings/test.py); these tests start
``policy_check`` in processes of their own, once with the build (what `make install` leaves
and the CLI, web and workers load) and once without, over every corpus in the repository
and a file of awkward input."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from devtools.processes import database_url
from policies.engine import accel, shipped_rules
from policies.engine.learned_gate import _plain_rules, model_words

ROOT = Path(settings.BASE_DIR)
CORPUS = ROOT / "tests/policies/corpus"
TRAIN = ROOT / "policies/corpus/train"
PROBE = (
    "import json, django, os;"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.local');"
    "from policies import engine;"
    "from policies.engine import normalize;"
    "print(json.dumps({**engine.build_info(), 'file': normalize.__file__}))"
)


def _env(engine: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "POLICY_ENGINE"}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    env["POLICY_ENGINE"] = engine  # "python" or anything else ("auto": the build if current)
    env["DATABASE_URL"] = database_url(connection.settings_dict)  # the test database
    env.update(extra)
    return env


def _probe(engine: str, **extra: str) -> dict:
    got = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=_env(engine, **extra),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(got.stdout)


def _cli(engine: str, what: str, src: Path, dst: Path) -> bytes:
    subprocess.run(
        [sys.executable, "manage.py", "policy_check", what, str(src), "--out", str(dst)],
        cwd=ROOT,
        env=_env(engine),
        capture_output=True,
        check=False,  # a file with unreadable lines exits 1 after writing every answer
    )
    return dst.read_bytes()


def test_the_build_is_current_and_loaded_outside_the_test_suite():
    """`make install` compiled the engine from these sources: a process without
    POLICY_ENGINE=python runs the compiled modules (a missing or stale build fails here, it
    is not skipped: production and the CLI's throughput rely on it)."""
    got = _probe("auto")
    assert got["engine"] == "compiled", f"run `make install` (python -m policies.engine): {got}"
    assert got["file"].endswith(".so") and str(accel.BUILD_DIR) in got["file"]
    assert _probe("python")["engine"] == "python"


def test_a_build_older_than_its_sources_is_not_used(tmp_path):
    """A build whose manifest names another version of one source (an edit after `make
    install`) is ignored, and the process says why."""
    stale = tmp_path / "accel"
    shutil.copytree(accel.BUILD_DIR, stale)
    manifest = json.loads((stale / accel.MANIFEST).read_text())
    manifest["sources"]["checks"] = "0" * 64
    (stale / accel.MANIFEST).write_text(json.dumps(manifest))
    got = _probe("auto", POLICY_ENGINE_BUILD_DIR=str(stale))
    assert got["engine"] == "python"
    assert "older than checks.py" in got["why"]
    assert got["file"].endswith("normalize.py")
    # another interpreter's build, and no build at all
    manifest["sources"]["checks"] = accel._digest("checks")
    manifest["abi"] = "cpython-399"
    (stale / accel.MANIFEST).write_text(json.dumps(manifest))
    assert _probe("auto", POLICY_ENGINE_BUILD_DIR=str(stale))["why"] == (
        "the build is for another interpreter"
    )
    assert _probe("auto", POLICY_ENGINE_BUILD_DIR=str(tmp_path / "none"))["engine"] == "python"


AWKWARD = [
    {"id": 1, "body": "Get a p4yday l0an t0day!!! b i t . l y/x", "kind": "marketing"},
    {"id": 2, "body": "Саsino bonus 💰🎰 spins", "kind": "marketing", "brand_domains": ["a.com"]},
    {"id": 3, "body": "c a s h  n o w\u200b call 900-555-0100", "kind": "informational"},
    {"id": 4, "body": "", "kind": "transactional"},
    {"id": 5, "body": "x" * 5000, "kind": "conversational"},
    {"id": 6, "body": "\u202eesrever\u202c vape juice 🍃 $20", "kind": "marketing"},
    {"id": 7, "body": "We don't sell alcohol-free beer or CBD. Reply STOP to opt out"},
    {"id": "\ud83d", "body": "lone surrogate id"},
    {"id": 9, "body": 12},
    {"id": 10, "body": "ok", "kind": "sms"},
    {"id": 11, "body": "ok", "brand_domains": "a.com"},
    {"id": 12.5, "body": "Visit https://xn--pypal-4ve.com/login now", "brand_domains": []},
    {"id": 13, "body": "ＦＲＥＥ ｃｒｙｐｔｏ ａｉｒｄｒｏｐ 🚀🚀 t.me/x"},
    {"id": 14, "body": "Your appt is Tue 3pm with Dr. Shah. Reply C to confirm."},
]


@pytest.mark.django_db
def test_compiled_and_pure_engines_write_the_same_bytes(tmp_path):
    """Every message and business corpus in the repository (dev, hold-outs, training) and a
    file of awkward lines: the compiled engine's CLI output equals the pure-Python one's,
    byte for byte (the frozen evaluation set is not run here: it is scored once per change)."""
    awkward = tmp_path / "awkward.jsonl"
    lines = [json.dumps(r) for r in AWKWARD]  # escaped: the lone surrogate id stays valid JSON
    lines += [json.dumps(r, ensure_ascii=False) for r in AWKWARD[1:7]]  # and as UTF-8 text
    lines += ["not json", "[1, 2]", '{"id": 99, "body": "NaN ok", "n": NaN}']
    awkward.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sets = [("messages", awkward)]
    sets += [("messages", p) for p in sorted(CORPUS.glob("messages_*.jsonl"))]
    sets += [("businesses", p) for p in sorted(CORPUS.glob("businesses_*.jsonl"))]
    sets += [("messages", TRAIN / "messages.jsonl"), ("businesses", TRAIN / "businesses.jsonl")]
    assert len(sets) >= 12
    compared = 0
    for what, src in sets:
        pure = _cli("python", what, src, tmp_path / "pure.jsonl")
        built = _cli("auto", what, src, tmp_path / "built.jsonl")
        assert built == pure, f"{src.name}: the compiled engine answers differently"
        compared += pure.count(b"\n")
    assert compared > 9000
    assert b'"decision": "block"' in pure and b'"decision": "allow"' in pure


@pytest.mark.django_db
@pytest.mark.parametrize("engine", ["python", "auto"])
def test_either_engine_refuses_what_it_should(engine, tmp_path):
    """A smoke of each engine on its own: a payday-loan offer blocked, a reminder allowed."""
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": "a", "body": "Get a p4yday l0an t0day, no credit check!"})
        + "\n"
        + json.dumps({"id": "b", "body": "Your appt is Tue 3pm.", "kind": "transactional"})
        + "\n"
    )
    out = [json.loads(x) for x in _cli(engine, "messages", src, tmp_path / "o.jsonl").splitlines()]
    assert [o["decision"] for o in out] == ["block", "allow"]


def test_a_copy_with_other_knowledge_derives_its_veto_set_anew():
    """The sets the checks derive once per rule set are declared fields (a compiled class has
    no __dict__); a copy made by dataclasses.replace with other knowledge (policy_score's
    rules-only run, training's held-out folds) derives them anew instead of inheriting."""
    rules = shipped_rules()
    with_intents = _plain_rules(rules)
    words = model_words(rules)
    bare = dataclasses.replace(rules, knowledge=None, learned=None)
    intents = {it.rule_id for it in rules.knowledge.intents}
    assert intents and intents <= with_intents
    assert _plain_rules(bare) == with_intents - intents
    assert model_words(bare) == words
    assert _plain_rules(rules) == with_intents  # the original keeps its own
