"""Symbols, negation scope and intent patterns: the pure knowledge the engine adds to terms."""

import pytest

from policies.engine import compile_rules, load_fixture, screen_business, shipped_knowledge
from policies.engine.checks import check_message
from policies.engine.knowledge import cues, intents, negated, negation_cue, symbols

K = shipped_knowledge()


@pytest.mark.parametrize(
    ("text", "names", "concepts"),
    [
        ("🍃 drop tonight", ["leaf_fluttering_in_wind"], ("cannabis",)),
        ("plug 🔌 got ❄️", ["electric_plug", "snowflake"], ("drugs",)),
        ("🎰 spin", ["slot_machine"], ("gamble",)),
        ("plain ascii text", [], ()),
        ("café crème", [], ()),  # accents are not symbols
    ],
)
def test_symbols_by_cldr_name_and_concept(text, names, concepts):
    got = symbols(text, K)
    assert [n for n, _ in got] == names
    if concepts:
        assert set(concepts) <= {c for _, cs in got for c in cs}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("1/8 $35, same-day drop", ["price", "quantity", "delivery"]),
        ("3.5g for 40 bucks", ["price", "quantity"]),
        ("we pull up in 30", ["delivery"]),
        ("See you at 9am", []),
    ],
)
def test_commerce_cues(text, want):
    assert cues(text, K) == want


@pytest.mark.parametrize(
    ("words", "want"),
    [
        (["we", "dont", "sell", "alcohol"], [False, False, False, True]),
        (["no", "tobacco", "or", "lottery", "sold"], [False, True, False, True, False]),
        (["alcohol", "free", "bar"], [True, False, False]),
        (["no", "alcohol", "but", "beer"], [False, True, False, False]),
        (["cheap", "beer", "tonight"], [False, False, False]),
    ],
)
def test_negation_scope_over_words(words, want):
    assert negated(words, K) == want


@pytest.mark.parametrize(
    ("text", "term", "negated_"),
    [
        ("We do not sell firearms.", "firearms", True),
        ("Bowling and pizza, no alcohol served.", "alcohol", True),
        ("We don't carry tobacco or lottery.", "lottery", True),
        ("No CBD here. Fresh hemp flower in stock", "hemp", False),  # a new sentence
        ("Not a bar, but we pour craft beer", "beer", False),  # "but" ends the scope
        ("No credit check payday loans", "payday", True),  # caller keeps hits at the cue
    ],
)
def test_negation_cue_in_text(text, term, negated_):
    assert (negation_cue(text, text.index(term), K) is not None) is negated_


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        (
            "Buy 3 Google Play gift cards and send the codes to release your prize",
            "intent.money_request",
        ),
        (
            "FINAL NOTICE: pay the overdue balance today or your account will be closed",
            "intent.urgent_payment",
        ),
        (
            "Chase fraud department: unusual activity on your card, call us back at 800-555-0100",
            "intent.impersonated_callback",
        ),
        ("Our trusted partners will contact you with quotes", "intent.partner_handoff"),
        ("Reply with your SSN and date of birth to verify", "intent.personal_data"),
        ("I know where you live. Watch your back.", "intent.threat"),
        ("Move out by Friday or we'll throw your stuff in the street.", "intent.intimidation"),
        ("Those people are animals and should be wiped out.", "intent.intimidation"),
        ("Lock your doors, it won't help.", "intent.intimidation"),
    ],
)
def test_intents(text, rule_id):
    assert rule_id in [it.rule_id for it, _ in intents(text, K)]


@pytest.mark.parametrize(
    "text",
    [
        "Shoot me a text when you're 5 min away and I'll get your chair ready!",
        "We'll make you feel at home: new patients welcome.",
        "Your order shipped with UPS; track it on our site.",
        "Send us a photo of the leak and we'll quote it.",
        "Reply YES or we'll call you tomorrow to confirm.",
        "Going on vacation? Lock your doors and let us water your plants!",
        "Your kind words made our day, thank you!",
        "Order by 5pm or it won't ship until Monday.",
    ],
)
def test_intents_leave_ordinary_texts_alone(text):
    assert intents(text, K) == []


def _rules_with_knowledge():
    rules = compile_rules(load_fixture())
    rules.knowledge = K
    return rules


def test_negated_term_is_not_an_offer_but_a_rule_phrase_at_the_cue_still_counts():
    plain = compile_rules(load_fixture())
    rules = _rules_with_knowledge()
    text = "Archery Pro Shop\nArchery equipment and lanes. We do not sell firearms."
    assert screen_business("Archery Pro Shop", text, "", plain).decision == "block"
    assert screen_business("Archery Pro Shop", text, "", rules).decision == "allow"
    got = check_message("No credit check payday loans today!", rules, kind="transactional")
    assert got.decision == "block" and "lending" in got.categories


def test_intent_gives_its_own_reason_with_the_span():
    rules = _rules_with_knowledge()
    body = "Wells Fargo: your card was used in another state. Call us back at 800-555-0100."
    got = check_message(body, rules, kind="transactional")
    r = next(r for r in got.reasons if r.rule_id == "intent.impersonated_callback")
    assert r.category == "fraud_deceptive" and r.verdict == "block"
    assert "reads as an institution asking for a call back" in r.message
    assert body[r.span[0] : r.span[1]] == r.matched and r.matched.startswith("Wells Fargo")
