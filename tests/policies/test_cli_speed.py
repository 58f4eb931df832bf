"""Issue 17, rounds 3 and 4 (policy_check on all-distinct bodies): the faster paths give
exactly the answers of the plain ones — the word matcher visiting only words that can start a
rule, the obfuscated-dot search behind its cheap hint, one JSON encoder for every line, the
learned probability without its feature list, the opt-out search on lower-case text, lines
read through orjson — and the learned reason names its features in the same order in every
run."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from policies.engine import links as L
from policies.engine import shipped_rules
from policies.engine.checks import check_message
from policies.engine.compiler import compile_rules
from policies.engine.knowledge import (
    _PRICE_WORDS,
    _boundary_tail,
    _currency_rx,
    _needs_found,
    _search,
    _search_at_boundary,
    _search_at_word_start,
    _word_starts,
    cues,
    shipped_knowledge,
)
from policies.engine.learned import GateModel, features
from policies.engine.learned_gate import _top_features
from policies.engine.normalize import ALT, OBF, TEXT, fold, normalise
from policies.engine.optout import _OPT_KEY, _OPT_QUICK, OPT_OUT, has_opt_out
from policies.engine.terms import (
    _HYPHEN_SENSE,
    _SPLIT_SAFE,
    _excepted,
    _fuzzy,
    _own_accents,
    match_terms,
)
from policies.management.commands.policy_check import _decode

ROOT = Path(settings.BASE_DIR)
TRAIN = ROOT / "policies/corpus/train/messages.jsonl"


def _bodies(step: int = 3) -> list[str]:
    rows = [json.loads(x) for x in TRAIN.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r["body"] for r in rows[::step]]


def _plain_match_terms(norm, m, stop, text) -> list[tuple]:
    """match_terms as it was before round 3: every word, every pair of neighbours."""
    words = norm.words
    n = len(words)
    if not n:
        return []
    forms = []
    for w in words:
        t, alt = w[TEXT], w[ALT]
        c = _fuzzy(t, m, stop) if t not in m.vocab else None
        wf = (t,)
        if alt and alt != t:
            wf += (alt,)
        if c:
            wf += (c,)
        forms.append(wf)
    found = []
    for i, fs in enumerate(forms):
        for fi, f in enumerate(fs):
            for r in m.single.get(f, ()):
                found.append((r, i, fi))
            if i + 1 < n and f in m.pair_first:
                for g in forms[i + 1]:
                    for r in m.pairs.get((f, g), ()):
                        k = len(r.words)
                        if k == 2 or (
                            i + k <= n and all(r.words[j] in forms[i + j] for j in range(2, k))
                        ):
                            found.append((r, i, fi))
    for i in range(n - 1):
        a, b = words[i][TEXT], words[i + 1][TEXT]
        if 2 <= len(a) <= 6 and 2 <= len(b) <= 6:
            joined = a + b
            rules = m.single.get(joined)
            if rules and joined not in forms[i] and a not in _SPLIT_SAFE and b not in _SPLIT_SAFE:
                found += [(r, i, -1) for r in rules]
    out = []
    for rule, i, fi in found:
        k = len(rule.words)
        if fi == -1:
            s, e = norm.span(i, i + 1)
            out.append((rule.rule_id, s, e, True))
            continue
        if rule.exceptions and _excepted(rule, i, forms, n):
            continue
        after = words[i + k][TEXT] if i + k < n else ""
        if after in _HYPHEN_SENSE and after not in rule.words:
            s0, e0 = norm.span(i + k - 1, i + k)
            if "-" in text[s0:e0]:
                continue
        s, e = norm.span(i, i + k - 1)
        evasive = fi > 0 or any(
            words[i + j][OBF] or rule.words[j] != words[i + j][TEXT] for j in range(k)
        )
        if evasive and fi == 0 and not rule.phrase.isascii():  # round 4: a Spanish rule's accents
            evasive = not _own_accents(rule, i, k, words, norm, text)
        out.append((rule.rule_id, s, e, evasive))
    return out


def test_the_matcher_finds_what_the_plain_scan_of_every_word_finds():
    rules = shipped_rules()
    texts = [
        *_bodies(),
        "Get a p4yday l0an today",
        "can nabis and bit coin for sale",
        "no credit check personal loan, vape-free lounge",
        "c a s h  a d v a n c e now",
    ]
    hits_seen = 0
    for m in (rules.content, rules.industry):
        for text in texts:
            norm = normalise(text)
            got = match_terms(norm, m, rules.fuzzy_stoplist, text)
            want = _plain_match_terms(norm, m, rules.fuzzy_stoplist, text)
            assert [(h.rule.rule_id, h.start, h.end, h.evasive) for h in got] == want, text
            hits_seen += len(got)
    assert hits_seen > 100  # the sample exercises the matcher, not only clean texts


def test_only_words_that_start_a_rule_are_marked_hot():
    rules = compile_rules(
        {
            "terms": [
                {"id": "t.one", "category": "gambling", "phrase": "casino", "verdict": "block"},
                {"id": "t.two", "category": "lending", "phrase": "payday loan"},
            ]
        }
    )
    m = rules.content
    text = "Visit our casino for a payday loan or a can nabis nothing else"
    norm = normalise(text)
    hits = match_terms(norm, m, rules.fuzzy_stoplist, text)
    assert [h.rule.rule_id for h in hits] == ["t.one", "t.two"]
    memo = {w[TEXT]: v for w, v in m.fuzzy_memo.items()}
    assert memo["casino"][1] and memo["payday"][1]
    assert not memo["loan"][1] and not memo["visit"][1]  # "loan" only ends a phrase
    assert memo["casino"][2] and not memo["nothing"][2]  # short words may be split halves


@pytest.mark.parametrize(
    "text",
    [
        "visit bit[.]ly/x now",
        "go to example ( . ) com",
        "example dot com",
        "example DOT com",
        "example {dot} com",
        "site < . > com",
        "shop\t.\tcom today",
        "see example . com",
    ],
)
def test_the_obfuscated_dot_hint_is_in_every_obfuscated_dot(text):
    assert L._OBF_DOT.search(text)
    assert "dot" in text.lower() or L._obf_hint(text)
    if "\t" not in text:  # find_links looks for obfuscation only around " . " (its choice)
        assert any(link.obfuscated_dots for link in L.find_links(text))


def test_the_obfuscated_dot_hint_never_hides_a_match_in_the_corpus():
    for text in _bodies(1):
        if L._OBF_DOT.search(text):
            assert "dot" in text.lower() or L._obf_hint(text), text


_HINT_EDGES = [
    f"{a}{b}{c}"
    for a in ("", "x", " ")
    for b in ("[", "(", "{", "<", " ", "\t", "\n", "\x1c", "\u2003", "\u00a0", "x", ".", "]", "")
    for c in (".", "..", ". ", "x", "")
]


def test_the_obfuscated_dot_hint_without_re_is_the_pattern_s_answer():
    texts = [*_corpus_texts(), *_HINT_EDGES]
    hits = 0
    for text in texts:
        want = L._OBF_HINT.search(text) is not None
        assert L._obf_hint(text) == want, text
        hits += want
    assert 50 < hits < len(texts)


@pytest.mark.django_db
def test_cli_lines_are_the_engine_answers_encoded_as_before(tmp_path):
    """policy_check's one encoder writes what json.dumps(..., ensure_ascii=False) wrote."""
    rules = shipped_rules()
    rows = [
        {"id": f"s{i}", "body": f"{b} (ref {i})", "kind": "marketing", "brand_domains": ["x.com"]}
        for i, b in enumerate(_bodies(25))
    ]
    rows.append({"id": 7, "body": "Café ☕ “quoted” \u2014 naïve", "kind": "marketing"})
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    call_command("policy_check", "messages", str(src), "--out", str(out))
    got = out.read_text(encoding="utf-8").splitlines()
    assert len(got) == len(rows)
    for row, line in zip(rows, got, strict=True):
        d = check_message(
            row["body"], rules, kind=row["kind"], brand_domains=row.get("brand_domains") or []
        )
        want = json.dumps({"id": row["id"], **d.as_dict()}, ensure_ascii=False)
        assert line == want
    assert "“Reply STOP" in got[-1] and "\\u" not in got[-1]  # written as UTF-8, not escaped


def test_top_features_break_ties_in_the_texts_order():
    model = GateModel(0.0, {"b": 1.0, "a": 1.0, "c": 2.0, "d": 0.5}, (1.0, 0.0), {}, {}, {}, {})
    assert _top_features(model, ["x", "b", "a", "c", "d"]) == "“c”, “b”, “a”"
    assert _top_features(model, ["a", "b", "c"]) == "“c”, “a”, “b”"


# what each ``python -c`` below starts with: Django set up, the shipped rules and the check
ENGINE_PRELUDE = (
    "import django, json, os;"
    "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings.test');"
    "django.setup();"
    "from policies.engine import shipped_rules;"
    "from policies.engine.checks import check_message;"
)


def _outputs_under_seeds(code: str, seeds: tuple[str, ...]) -> set[bytes]:
    """What ``python -c code`` prints under each hash seed (the database and Redis settings
    passed on), as a set: one element when the output does not depend on the seed."""
    outs = set()
    for seed in seeds:
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        for key in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CACHE_KEY_PREFIX"):
            if key in os.environ:
                env[key] = os.environ[key]
        got = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
        ).stdout
        outs.add(got)
    return outs


def test_learned_reasons_read_the_same_under_any_hash_seed():
    code = (
        ENGINE_PRELUDE + f"rows = [json.loads(x) for x in open({str(TRAIN)!r}) if x.strip()][:400];"
        "r = shipped_rules();"
        "print(json.dumps([check_message(x['body'], r).as_dict() for x in rows]))"
    )
    outs = _outputs_under_seeds(code, ("1", "2", "3"))
    assert len(outs) == 1
    assert re.search(rb"This reads like an offer of", next(iter(outs)))


# --- issue 17, round 4: the learned layer's probability without its feature list, the
# opt-out search on lower-case ASCII, JSON lines read through orjson ---------------------


def _corpus_texts() -> list[str]:
    """Every message body and business description of the non-frozen corpora."""
    texts = []
    paths = [TRAIN, ROOT / "policies/corpus/train/businesses.jsonl"]
    paths += sorted((ROOT / "tests/policies/corpus").glob("*.jsonl"))
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                texts += [
                    r.get("body") or "",
                    f"{r.get('name') or ''}\n{r.get('industry_description') or ''}",
                ]
    return [t for t in dict.fromkeys(texts) if t.strip()]


def test_the_learned_score_is_the_probability_of_the_features_to_the_last_bit():
    rules = shipped_rules()
    assert rules.learned is not None
    texts = [*_corpus_texts(), "no weed, no vapes 🍃 $40 1/8 drop", "İstanbul ſtop Ｖｉａｇｒａ"]
    for model in (rules.learned.message, rules.learned.business):
        for text in texts:
            words = [w[TEXT] for w in normalise(text).words]
            low = text.lower()
            want = model.probability(features(text, rules.knowledge, words, low, rules.vocabulary))
            assert model.score(text, rules.knowledge, words, low, rules.vocabulary) == want, text


def _has_opt_out_before(text: str) -> bool:
    """has_opt_out as it was before round 4: the case-insensitive patterns on the text."""
    if not text.isascii():
        text = fold(text)
    lower = text.lower()
    if any(q in lower for q in _OPT_QUICK):
        return True
    for m in _OPT_KEY.finditer(text):
        if OPT_OUT.search(text, max(0, m.start() - 40), m.end() + 40):
            return True
    return False


def test_the_opt_out_search_on_lower_case_text_answers_as_the_case_insensitive_one():
    texts = [
        *_corpus_texts(),
        "Reply STOP to end",
        "STOP2END",
        "Opt-Out: Reply STOP",
        "TXT 'STOP' TO QUIT",
        "Text ＳＴＯＰ to opt out",
        "send ſtop",  # long s: folded to "s" before any search
        "Reply \u212aEEP",  # Kelvin sign
    ]
    answers = set()
    for text in texts:
        want = _has_opt_out_before(text)
        assert has_opt_out(text) == want, text
        assert has_opt_out(text, text.lower()) == want, text
        answers.add(want)
    assert answers == {True, False}


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "a1", "body": "hi", "kind": "marketing", "brand_domains": ["x.com"]}',
        '{"id": 123456789012345678901234567890, "body": "hi"}',  # orjson: a float
        '{"id": 1.5, "body": "hi"}',
        '{"id": [1, 18446744073709551617], "body": "hi"}',
        '{"id": {"n": 1e5}, "body": "hi"}',
        '{"id": 7, "body": NaN}',
        '{"id": 8, "body": "\\ud800 lone"}',
        '{"id": 9, "body": "x", "body": "y"}',
        '{"id": 10, "body": 1e400}',
        '  {"id": true, "body": "caf\\u00e9"}  \n',
    ],
)
def test_lines_read_through_orjson_are_what_json_reads(line):
    got = _decode(line)
    want = json.loads(line)
    assert json.dumps(got, ensure_ascii=False) == json.dumps(want, ensure_ascii=False)
    assert type(got.get("id")) is type(want.get("id"))


@pytest.mark.parametrize("line", ["not json", "[1,]", '{"id": 1,}', "\ufeff{}", '{"a": 01}'])
def test_unreadable_lines_get_json_s_own_error(line):
    with pytest.raises(ValueError) as want:
        json.loads(line)
    with pytest.raises(ValueError) as got:
        _decode(line)
    assert str(got.value) == str(want.value)


def test_a_misspelling_equally_near_two_rule_words_reads_the_same_under_any_hash_seed():
    # "sh00m" is one edit from "shroom" and from "shoot": which one it read as followed the
    # order of a set, that is the process's hash seed (same text, another category)
    code = (
        ENGINE_PRELUDE
        + "body = '\\U0001f344 sh00m chocolate bars 3.5g each, $30, microdose caps also avail';"
        "print(json.dumps(check_message(body, shipped_rules()).as_dict()))"
    )
    outs = _outputs_under_seeds(code, ("0", "1", "2", "3", "4", "5"))
    assert len(outs) == 1, outs
    assert json.loads(next(iter(outs)))["decision"] == "block"


# issue 17, round 5: the intents' needs and the delivery cue without a scan of every offset

_EDGE_TEXTS = [
    f"{p}{w}{q}"
    for p in ("", "x", "_", "1", "é", "İ", " ", "-", "🍃", "ß")
    for w in ("delivery", "drop off", "pull up", "same-day", "dm me", "hmu", "bank account", "i'll")
    for q in ("", "x", "_", "s", " ", ".", "1", "é")
]


def test_the_needs_found_are_what_findall_of_the_lookahead_finds():
    k = shipped_knowledge()
    assert k.needs_scan is not None
    look = re.compile("(?=(" + k.needs_scan.pattern + "))")
    texts = [*_corpus_texts(), *_EDGE_TEXTS, "", "bank"]
    found = set()
    for text in texts:
        low = text.lower()
        want = set(look.findall(low))
        assert _needs_found(k.needs_scan, low) == want, text
        found |= want
    assert len(found) > 20
    # a pattern that matches the empty string at the end stops there
    assert _needs_found(re.compile("(?:ab)?"), "xab") == {"", "ab"}


def test_the_delivery_search_at_a_word_boundary_is_the_pattern_s_own():
    k = shipped_knowledge()
    assert k.delivery_tail is not None and k.delivery_lower is not None
    texts = [*_corpus_texts(), *_EDGE_TEXTS, "", "x"]
    hits = 0
    for text in texts:
        low = text.lower()
        want = k.delivery_lower.search(low)
        got = _search_at_boundary(k.delivery_tail, low)
        assert (got and got.span()) == (want and want.span()), text
        before = _search(k.delivery, k.delivery_lower, text, low)  # the search until round 5
        assert ("delivery" in cues(text, k, low)) == (before is not None), text
        hits += want is not None
    assert 100 < hits < len(texts)
    # an empty match at the end of the text
    tail = _boundary_tail(r"\b(?:ab)?")
    assert tail is not None
    for text in ("", "x", "x ", "ab", "xab", "xab "):
        want = re.search(r"\b(?:ab)?", text)
        got = _search_at_boundary(tail, text)
        assert (got and got.span()) == (want and want.span()), text


_QUANTITY_EDGES = [
    f"{p}{w}{q}"
    for p in ("", "x", "_", "1", "é", "İ", " ", "-", "🍃", "ß", "٣", "1.")
    for w in ("3.5g", "1/8", "10 pills", "eighth", "half oz", "qp", "٣ oz", "28 grams", "2 cases")
    for q in ("", "x", "_", "s", " ", ".", "1", "é")
]


def test_the_price_cue_without_a_set_at_every_offset_is_the_patterns_answer():
    k = shipped_knowledge()
    assert "$" in k.currency and any(not c.isascii() for c in k.currency)
    texts = [*_corpus_texts(), *_QUANTITY_EDGES, "$5", "5 €", "40 bucks", "40bucks", "9 usd"]
    texts += ["4 dollarsx", "€", "x", "", "10 USD", "3 Bucks!", "٣ bucks", "$ 🍃", "2 \x1cusd"]
    hits = 0
    for text in texts:
        low = text.lower()
        digits = re.search("[0-9]", text) is not None
        want = bool(_currency_rx(k.currency).search(text) or (digits and _PRICE_WORDS.search(low)))
        assert ("price" in cues(text, k, low)) == want, text
        hits += want
    assert 100 < hits < len(texts)


def test_the_quantity_search_at_word_starts_is_the_pattern_s_own():
    k = shipped_knowledge()
    assert k.quantity_starts is not None and k.quantity_tail is not None
    assert k.quantity_lower is not None
    texts = [*_corpus_texts(), *_EDGE_TEXTS, *_QUANTITY_EDGES, "", "x", "1"]
    hits = 0
    for text in texts:
        low = text.lower()
        want = k.quantity_lower.search(low)
        if low.isascii():
            got = _search_at_word_start(k.quantity_starts, k.quantity_tail, low)
            assert got == (want and want.span()), text
        before = _search(k.quantity, k.quantity_lower, text, low)  # the search until round 6
        gate = re.search("[0-9]", text) or any(w in low for w in ("eighth", "quarter", "half"))
        assert ("quantity" in cues(text, k, low)) == bool(gate and before), text
        hits += want is not None
    assert 100 < hits < len(texts)


@pytest.mark.parametrize(
    "source",
    [
        r"\b(?:\d+|ab)",
        r"\b(?:x|[a-c0-9_]+y)z?",
        r"\b\w+ing",
        r"\b(?:1/8|1/4|half)",
        r"\b[é\d]x",
        r"\b(?:\d\s?x|[a-c]+y)",
    ],
)
def test_word_starts_find_the_leftmost_match_of_the_pattern(source):
    starts, tail = _word_starts(source), _boundary_tail(source)
    assert starts is not None and tail is not None
    rx = re.compile(source)
    texts = ["", "ab", "xab", "x ab", "_ab", "1y", "ab1/8 1/4", "1/2x", "ringing sing", "a_cy z"]
    texts += [" by", "3x 3", "halfhalf half", "-3x", "\x1c3x", "a\n_y 1y", "3", "(3)"]
    for text in texts:
        want = rx.search(text)
        assert _search_at_word_start(starts, tail, text) == (want and want.span()), (source, text)


@pytest.mark.parametrize(
    "source",
    [
        r"\b(?:\d*g)",  # may start with a letter or a digit: the empty repeat
        r"\b(?:-?\d+)",  # "-" is no word character
        r"\b[^a]x",  # a negated set
        r"\b(?:a|)",  # an empty alternative
        r"\b.x",  # any character
        r"\b(?i:a)b",  # flags inside
        r"\b\sx",
        r"\b(\d)\1",  # a group of its own
    ],
)
def test_a_rest_that_may_start_otherwise_has_no_word_starts(source):
    assert _word_starts(source) is None


@pytest.mark.parametrize(
    "source",
    [
        r"\ba|b",  # the \b belongs to the first alternative only
        r"(?a)\bship",  # ASCII word characters
        r"\bShip",  # an upper-case letter: the case-insensitive search stays
        r"ship\b",
        r"\b",
    ],
)
def test_a_pattern_that_is_not_a_leading_word_boundary_and_a_rest_keeps_its_own_search(source):
    assert _boundary_tail(source) is None
