"""Issue 17, session 8 (policy_check on all-distinct bodies): the faster paths give exactly
the answers of the plain ones — an answer encoded once and joined to each line's id, the trade
vocabularies' phrases found through their first two words."""

import json

import pytest
from django.conf import settings

from policies.decisions import Decision, Reason
from policies.engine import shipped_rules
from policies.engine.normalize import TEXT, normalise
from policies.management.commands.policy_check import _ALLOW_TAIL, _ENCODE, _line

IDS = [
    1,
    -5,
    12345678901234567890123,
    1.5,
    float("inf"),
    float("nan"),
    None,
    True,
    "m1",
    "café “x” \u2028 😀",
    'quote"back\\slash',
    [1, "a", None],
    {"k": [1, 2.5], "é": {}},
]
ANSWERS = [
    Decision().as_dict(),
    Decision(
        (
            Reason("content.x", "lending", "block", "“a”: no", (0, 3), 'a"b'),
            Reason("opt_out.missing", "missing_opt_out", "block", "add “Reply STOP”"),
        )
    ).as_dict(),
    {"decision": None, "categories": [], "reasons": [], "error": "line 3: 'body' must be a string"},
]


@pytest.mark.parametrize("row_id", IDS, ids=repr)
@pytest.mark.parametrize("answer", ANSWERS, ids=("allow", "block", "error"))
def test_a_line_is_the_id_joined_to_the_encoded_answer(row_id, answer):
    want = _ENCODE({"id": row_id, **answer}) + "\n"
    assert _line(row_id, _ENCODE(answer)[1:]) == want
    assert want == json.dumps({"id": row_id, **answer}, ensure_ascii=False) + "\n"


def test_the_clean_answer_is_a_constant():
    assert _ENCODE(Decision().as_dict())[1:] == _ALLOW_TAIL


def _categories_before(vocab, words, negated=None):
    """The trade vocabularies as they were found before: each phrase the word starts
    compared with the words from it."""
    out = []
    for i, w in enumerate(words):
        if w not in vocab.firsts:
            continue
        cats = vocab.single.get(w)
        phrases = vocab.multi.get(w)
        if phrases:
            found = [c for ws, c in phrases if tuple(words[i : i + len(ws)]) == ws]
            cats = (*(cats or ()), *found) if found else cats
        for c in cats or ():
            f = ("not_v:" if negated is not None and negated[i] else "v:") + c
            if f not in out:
                out.append(f)
    return out


def test_the_vocabularies_find_what_comparing_each_phrase_finds():
    vocab = shipped_rules().vocabulary
    texts = []
    root = settings.BASE_DIR
    for name in ("policies/corpus/train/messages.jsonl", "policies/corpus/train/businesses.jsonl"):
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            texts.append(r.get("body") or f"{r.get('name', '')}\n{r.get('industry_description')}")
    # every phrase on its own, at the end of a text, cut short, and after a negation
    for ws, _ in (p for phrases in vocab.multi.values() for p in phrases):
        texts += [" ".join(ws), "we sell " + " ".join(ws), " ".join(ws[:-1]) + " today"]
    found = 0
    for t in texts:
        words = [w[TEXT] for w in normalise(t).words]
        neg = [i % 3 == 0 for i in range(len(words))]
        got = vocab.categories(words)
        assert got == _categories_before(vocab, words)
        assert vocab.categories(words, neg) == _categories_before(vocab, words, neg)
        found += bool(got)
    assert found > 500  # the texts exercise the vocabularies, not only texts without them
