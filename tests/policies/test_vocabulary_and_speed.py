"""Issue 17, round 2: trade vocabularies as rule data, word-sense and negation mechanisms,
and the faster knowledge layer giving exactly the answers of the plain one."""

import re

import pytest

from policies.engine import compile_rules, load_fixture, shipped_rules
from policies.engine.checks import check_message
from policies.engine.compiler import Vocabulary
from policies.engine.knowledge import (
    _trie_source,
    compile_knowledge,
    cues,
    intents,
    negated,
    shipped_knowledge,
)
from policies.engine.learned import features
from policies.engine.screen import screen_business

K = shipped_knowledge()


def _vocab(rows):
    return compile_rules({"vocabulary": rows}).vocabulary


def test_vocabulary_reads_words_and_phrases_once_each():
    v = _vocab(
        [
            {"id": "a", "category": "cannabis", "phrase": "Dispensary"},
            {"id": "b", "category": "cannabis", "phrase": "live resin"},
            {"id": "c", "category": "alcohol", "phrase": "taproom"},
            {"id": "d", "category": "alcohol", "phrase": "growler", "enabled": False},
        ]
    )
    assert isinstance(v, Vocabulary)
    words = ["our", "dispensary", "has", "live", "resin", "and", "a", "dispensary", "cafe"]
    assert v.categories(words) == ["v:cannabis"]
    assert v.categories(["taproom", "growler"]) == ["v:alcohol"]  # a switched-off word: none
    assert v.categories(["live", "music"]) == []  # half a phrase is not the phrase
    neg = negated(["no", "taproom", "here"], K)
    assert v.categories(["no", "taproom", "here"], neg) == ["not_v:alcohol"]


def test_vocabulary_terms_in_the_terms_list_count_too():
    # the database export lists them under "vocabulary"; a fixture may put them among terms
    rules = compile_rules(
        {"terms": [{"id": "x", "category": "kratom", "phrase": "maeng da", "scope": "vocabulary"}]}
    )
    assert rules.vocabulary.categories(["maeng", "da"]) == ["v:kratom"]
    assert not rules.content.first  # not a content rule: nothing is refused for it


def test_the_shipped_fixture_has_a_vocabulary_per_category_and_the_model_weighs_it():
    data = load_fixture()
    cats = {r["category"] for r in data["vocabulary"]}
    assert len(cats) == 25
    assert all(r["scope"] == "vocabulary" and not r["fuzzy"] for r in data["vocabulary"])
    rules = shipped_rules()
    text = "Budtender picks: live resin and prerolls"
    f = features(text, rules.knowledge, vocab=rules.vocabulary)
    assert "v:cannabis" in f
    assert rules.learned.message.weights.get("v:cannabis", 0) > 0
    assert rules.learned.business.weights.get("v:cannabis", 0) > 0


@pytest.mark.parametrize(
    "text",
    [
        "Hi! Yes, the firework-themed cake can be ready by July 3.",
        "Our rifle-green velvet sofa is back.",
        "Shroom-shaped cookie jars are back at the gift shop.",
        "A vape-free, smoke-free patio.",
    ],
)
def test_a_hyphen_that_makes_the_term_a_description_is_not_an_offer(text):
    rules = compile_rules(load_fixture())  # the rules alone: the mechanism, not the model
    rules.knowledge = K
    assert check_message(text, rules, kind="conversational").decision == "allow"


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("The kratom tea you asked about isn't something we sell.", True),
        ("Firearms are not allowed on the premises.", True),
        ("Kratom is not something we carry, try our chamomile.", True),
        ("Kratom shots, 3 for $20 at the counter.", False),
        ("Kratom isn't cheap anywhere else, 3 for $20 here.", False),
    ],
)
def test_a_negation_after_the_term(text, allowed):
    rules = compile_rules(load_fixture())
    rules.knowledge = K
    assert (check_message(text, rules, kind="conversational").decision == "allow") is allowed


def test_sign_up_may_overrule_a_plain_near_spelling_but_not_an_obfuscated_one():
    rules = shipped_rules()
    name = "Lottie's Lunch Box"
    desc = "Sandwich shop with soups, salads and boxed lunches for offices."
    assert screen_business(name, desc, "", rules).decision == "allow"
    plain = compile_rules(load_fixture())  # without the learned layer the rule stands
    plain.knowledge = K
    assert screen_business(name, desc, "", plain).decision == "block"
    # digits or spacing in the word: a dodge, never overruled
    assert screen_business("L0tt0 Kings", desc, "", rules).decision == "block"
    # a message's near spelling stays evasion
    d = check_message("Lotttto tickets tonight", rules, kind="conversational")
    assert d.decision == "block"


def _plain_intents(text, k):
    """The knowledge layer's intents as first written: each intent's needs as substrings,
    each pattern case-insensitively on the original text."""
    low = text.lower()
    out = []
    for it in k.intents:
        if it.needs and not any(n in low for n in it.needs):
            continue
        m = it.regex.search(text)
        if m:
            out.append((it.rule_id, m.span()))
    return out


SAMPLES = [
    "Call the IRS fraud department back at once or your account will be suspended today",
    "Send $200 in Google Play gift cards to release your package",
    "Share your SSN and date of birth to verify your bank account",
    "Our partners will connect you with a lender",
    "I'll find out where you live",
    "Welcome to the Grand İstanbul Grill, bank holiday hours",  # lowercasing changes length
    "Coffee and a croissant, see you soon",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_one_pass_needs_scan_finds_what_substrings_find(text):
    got = [(it.rule_id, span) for it, span in intents(text, K)]
    assert got == _plain_intents(text, K)


def test_needs_that_are_prefixes_of_others_and_overlaps_are_all_found():
    k = compile_knowledge(
        {
            "intents": [
                {"id": "a", "category": "x", "regex": r"bank", "needs": ["bank"]},
                {"id": "b", "category": "x", "regex": r"bank account", "needs": ["bank account"]},
                {"id": "c", "category": "x", "regex": r"kaccount", "needs": ["kacc"]},
                {"id": "d", "category": "x", "regex": r"zzz"},  # no needs: always tried
            ]
        }
    )
    assert [it.rule_id for it, _ in intents("my BANKACCOUNT and bank account", k)] == [
        "a",
        "b",
        "c",
    ]
    assert intents("nothing here zzz", k)[0][0].rule_id == "d"


def test_trie_source_matches_exactly_its_literals():
    lits = ["bank", "bank account", "band", "b", "zelle"]
    rx = re.compile("(?:" + _trie_source(lits) + r")\Z")
    for w in lits:
        assert rx.match(w)
    for w in ["ban", "bank accoun", "zell", "x"]:
        assert not rx.match(w)


def test_an_upper_case_letter_in_a_pattern_keeps_the_case_insensitive_search():
    k = compile_knowledge(
        {"intents": [{"id": "u", "category": "x", "regex": r"Zelle me", "needs": ["zelle"]}]}
    )
    assert k.intents[0].lower is None
    assert intents("ZELLE ME now", k)[0][0].rule_id == "u"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("40bucks for the lot", ["price"]),
        ("İSTANBUL 3.5G DISCREET", ["quantity", "delivery"]),  # offsets shift when lowercased
        ("see you friday", []),
    ],
)
def test_cues_on_lowercased_text(text, want):
    assert cues(text, K) == want


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Data Doctors: laptop repair. We never sell customer data.", False),
        ("We do not share your number with partners or anyone else.", False),
        ("We sell customer data to brokers every month.", True),
        ("Text us your SSN and date of birth to finish the form.", True),
    ],
)
def test_a_practice_that_is_denied_is_not_its_intent(text, found):
    got = {it.rule_id for it, _ in intents(text, K)}
    assert bool(got & {"intent.personal_data", "intent.partner_handoff"}) is found


def test_the_sign_up_veto_is_wider_than_the_message_veto():
    model = shipped_rules().learned
    assert model.business.thresholds["veto"] == 0.20
    assert model.message.thresholds["veto"] == 0.10
    assert model.business.thresholds["veto"] < model.business.thresholds["review"]


def test_a_learned_reason_names_the_trade_words_symbols_and_cues_it_read():
    from policies.engine.learned import GateModel
    from policies.engine.learned_gate import _top_features

    model = GateModel(0.0, {"v:kratom": 3.0, "e:herb": 2.0, "q:price": 1.0}, (1, 0), {}, {}, {}, {})
    assert _top_features(model, ["v:kratom", "e:herb", "q:price", "plain"]) == (
        "the trade words of kratom, the herb symbol, a price"
    )


def test_empty_vocabulary_rows_and_knowledge_without_intents_cost_nothing():
    assert _vocab([{"id": "x", "category": "adult", "phrase": "!!!"}]).categories(["x"]) == []
    k = compile_knowledge({})
    assert k.needs_scan is None and intents("send gift cards", k) == []
