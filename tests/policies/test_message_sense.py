"""Issue 17, round 6: the message gate reads a term in its ordinary sense from the words around
it, asks intents for their money, urgency or identity part together, reads Spanish threats,
and lets the model overrule plain phrases it reads as plainly ordinary. Table-driven; all but
the last test without the learned layer, so each case shows the mechanism, not the model."""

import pytest

from policies.engine import (
    compile_rules,
    load_fixture,
    screen_business,
    shipped_knowledge,
    shipped_rules,
)
from policies.engine.checks import check_message
from policies.engine.knowledge import compile_knowledge, intents, negated, ordinary_sense
from policies.engine.learned_gate import _plain_rules

K = shipped_knowledge()


@pytest.fixture(scope="module")
def rules():
    r = compile_rules(load_fixture())
    r.knowledge = K
    return r


def _content(decision) -> list[str]:
    return [c for c in decision.categories if c != "missing_opt_out"]


@pytest.mark.parametrize(
    ("ordinary", "offer", "category"),
    [
        # an account being serviced is not a loan offered
        (
            "Thanks! Your home loan payment of $1,210.55 was processed on 3/2.",
            "Home loan approval in 24 hours, apply today!",
            "lending",
        ),
        (
            "Your mortgage statement is ready in online banking.",
            "Mortgage rates from 5.1%, get pre-approved now.",
            "lending",
        ),
        # where and when to vote, with no candidate, party or measure
        (
            "Heads up: our lot is a polling place on Tuesday, park on Elm St instead.",
            "Polls open Tuesday: vote for Dana Ruiz for county commissioner!",
            "political",
        ),
        (
            "Early voting runs all week at the rec center, so the gym is closed.",
            "Early voting starts Monday. Vota sí a la Medida 12. Pagado por Vecinos Unidos.",
            "political",
        ),
        # casino and poker nights for a cause, played with play money
        (
            "Poker night fundraiser for the band boosters: play money only, pizza included.",
            "Poker night at the lodge: $20 buy-in, cash payouts to the top 3.",
            "gambling",
        ),
        # the idiom, not a wager
        (
            "We bet you'll love the new cold brew.",
            "Bet $25 on tonight's game and get a free bet, best odds in town.",
            "gambling",
        ),
        # an office at home is furniture, not an income scheme
        (
            "Work from home in comfort: standing desks and mesh chairs 20% off.",
            "Work from home and earn $300 a day, no experience needed!",
            "work_from_home",
        ),
        # a law office's bankruptcy practice
        (
            "Ortiz Law: bankruptcy consultations with an attorney, Chapter 13 questions answered.",
            "Bankruptcy? Settle your debt for pennies on the dollar instead.",
            "debt_relief",
        ),
        # praise, not a prize
        (
            "Every volunteer is a winner in our hearts. Thank you all!",
            "You're a winner! Claim your prize today.",
            "sweepstakes",
        ),
    ],
)
def test_a_term_in_its_ordinary_sense_is_not_an_offer(rules, ordinary, offer, category):
    assert category not in _content(check_message(ordinary, rules, kind="transactional"))
    assert category in _content(check_message(offer, rules, kind="transactional"))


def test_an_evasive_spelling_keeps_its_term_whatever_the_words_around_it(rules):
    got = check_message("Your m0rtgage payment was received.", rules, kind="transactional")
    assert "lending" in got.categories and "evasion" in got.categories


def test_senses_are_data_terms_requires_unless_and_scope():
    k = compile_knowledge(
        {
            "senses": [
                {
                    "category": "x",
                    "terms": ["foo bar"],
                    "ordinary": r"\bbaz\b",
                    "unless": r"\bbuy\b",
                },
                {"category": "y", "requires": r"\bcandidate\b"},
                {"category": "z", "ordinary": r"\bdesk\b", "scope": "text"},
            ]
        }
    )
    text = "foo bar baz. qux"
    assert ordinary_sense("x", ("foo", "bar"), text, 0, 7, k)
    assert not ordinary_sense("x", ("foo",), text, 0, 3, k)  # not one of its terms
    assert not ordinary_sense("x", ("foo", "bar"), "foo bar baz, buy now", 0, 7, k)  # unless
    assert not ordinary_sense("x", ("foo", "bar"), "foo bar. baz", 0, 7, k)  # other sentence
    assert ordinary_sense("y", ("poll",), "the poll opens", 4, 8, k)
    assert not ordinary_sense("y", ("poll",), "the poll: our candidate", 4, 8, k)
    assert ordinary_sense("z", ("home",), "home office? new desk.", 0, 4, k)  # whole text
    assert not ordinary_sense("w", ("home",), "home office? new desk.", 0, 4, k)  # no sense


def test_the_sign_up_screen_does_not_read_senses(rules):
    text = "Loan payment received daily; personal loans."
    got = screen_business("Lakeside Loans", text, "", rules)
    assert "lending" in got.categories


def test_negation_after_a_term_that_places_it_elsewhere(rules):
    got = check_message("The boat show is not at our store this year.", rules)
    assert _content(got) == []
    text = "The gun show is not at our venue this year, Hall B is closed for a wedding."
    assert "firearms" not in _content(check_message(text, rules, kind="transactional"))
    text = "The gun show is at our venue this year, Hall B."
    assert "firearms" in _content(check_message(text, rules, kind="transactional"))


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Pay the release fee with Google Play cards today.", "intent.money_request"),
        ("Go buy two Steam cards and text me the codes on the back.", "intent.money_request"),
        ("URGENT: your balance is past due, avoid suspension today.", "intent.urgent_payment"),
        ("Touch my truck again and I'll find it and slash your tires.", "intent.threat"),
        ("We're gonna come by and break your windows tonight.", "intent.threat"),
        ("No one would care about you if you disappeared.", "intent.threat"),
        ("Sé dónde vives y te voy a romper la cara.", "intent.threat"),
        ("Paga o vamos a ir por tus hijos.", "intent.threat"),
    ],
)
def test_intents_round_6(text, rule_id):
    assert rule_id in [it.rule_id for it, _ in intents(text, K)]


@pytest.mark.parametrize(
    "text",
    [
        # a gift card sold or given, not a payment asked for
        "Holiday special: buy a $50 gift card, get a $10 bonus card free.",
        "Send a gift card to someone you love, delivered by email.",
        # urgency without money or an account: an ordinary reminder
        "Final notice: your library books are 3 weeks overdue, please renew online.",
        "Please reply immediately to confirm your appointment tomorrow at 9.",
        "Urgent: the pool is closed today, sorry for the inconvenience.",
        # a practice denied, the verbs listed
        "We never sell, rent or share your information.",
        "We will never ask you for payment in gift cards or crypto.",
        # ordinary uses of threat words
        "We'll come to your house to measure the windows on Monday.",
        "Our tech will break down the old shed and haul it away.",
        "Te vamos a encontrar el mejor precio.",
        "I bet my team will beat you at trivia night!",
    ],
)
def test_intents_round_6_leave_ordinary_texts_alone(text):
    assert intents(text, K) == []


def test_a_negation_that_urges_is_not_a_denial():
    assert [it.rule_id for it, _ in intents("Don't forget to pay with gift cards today.", K)] == [
        "intent.money_request"
    ]
    assert intents("We do not ask anyone for payment in gift cards.", K) == []


@pytest.mark.parametrize(
    "text",
    [
        "I'll shoot you a text when I'm on my way!",
        "I'll shoot you the invoice by email tonight.",
        "We'll beat you to the punch with early-bird prices.",
    ],
)
def test_shoot_you_a_text_is_not_a_threat(text):
    assert intents(text, K) == []


def test_the_model_overrules_plain_phrases_it_reads_as_plainly_ordinary_but_never_a_dodge():
    rules = shipped_rules()
    assert rules.learned.message.thresholds["phrase_veto"] == 0.02
    assert "phrase_veto" not in rules.learned.business.thresholds  # the sign-up screen: no
    plain = "Your Amazon package was delivered to the front desk."
    bare = compile_rules(load_fixture())
    assert "fraud_deceptive" in check_message(plain, bare, kind="transactional").categories
    assert check_message(plain, rules, kind="transactional").decision == "allow"
    # an evasive spelling of the same phrase is a dodge, whatever the model reads
    got = check_message("Your Amaz0n package was delivered.", rules, kind="transactional")
    assert "fraud_deceptive" in got.categories and "evasion" in got.categories
    # patterns are never overruled by it: only content terms and intents are "plain"
    ids = _plain_rules(rules)
    assert "intent.threat" in ids and "content.fraud_deceptive.your_amazon" in ids
    assert not any(rule.rule_id in ids for _rx, rule, _needs in rules.patterns)


@pytest.mark.parametrize(
    ("text", "rule_id"),
    [
        ("Compartiremos sus datos con empresas asociadas para ofertas.", "intent.personal_data"),
        (
            "Su información podrá ser cedida a terceros con fines comerciales.",
            "intent.personal_data",
        ),
        ("Para activar su cuenta confirme su número de seguro social.", "intent.personal_data"),
        ("Envíe su NIP y fecha de nacimiento para verificar.", "intent.personal_data"),
        ("This is an attempt to collect a debt owed to Lakeside Clinic.", "intent.debt_collection"),
        (
            "Your balance was referred to our agency; the original creditor is ABC.",
            "intent.debt_collection",
        ),
        (
            "Account 4471 is 90 days delinquent. Pay today to avoid further action.",
            "intent.debt_collection",
        ),
    ],
)
def test_spanish_data_requests_and_third_party_collection(text, rule_id):
    assert rule_id in [it.rule_id for it, _ in intents(text, K)]


@pytest.mark.parametrize(
    "text",
    [
        "Nunca compartimos sus datos con terceros.",
        "Jamás vendemos tu número a otras empresas.",
        "Su cita es el martes; traiga su tarjeta de seguro médico.",
        "Your co-pay is past due; no further action is needed if you pay at your visit.",
        "We collect donations for the food bank at the front desk.",
    ],
)
def test_spanish_denials_and_first_party_reminders_are_left_alone(text):
    assert intents(text, K) == []


def test_spanish_never_is_a_negation_cue():
    assert negated(["nunca", "vendemos", "datos"], K) == [False, True, True]
    assert negated(["jamas", "datos"], K) == [False, True]
    assert negated(["vendemos", "datos"], K) == [False, False]


def test_the_phrase_veto_never_overrules_a_term_staff_added():
    from policies.engine import compile_rules, load_fixture, with_layers

    data = load_fixture()
    data["terms"].append(
        {
            "id": "content.custom.kumquat_voucher",
            "category": "fraud_deceptive",
            "phrase": "kumquat voucher",
            "verdict": "block",
            "fuzzy": False,
            "exceptions": [],
        }
    )
    rules = with_layers(compile_rules(data))
    body = "Bright Smile: bring your kumquat voucher on Tuesday. Reply STOP to opt out"
    d = check_message(body, rules, kind="transactional")
    assert [r.rule_id for r in d.reasons] == ["content.custom.kumquat_voucher"]
