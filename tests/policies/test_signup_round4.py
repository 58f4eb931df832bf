"""Issue 17, round 4: the sign-up screen reads prohibited trades described in Spanish
(industry descriptors of rules fixture 2026.12.2) and the trade vocabularies name more of
each trade's own words, in English and Spanish, as features of the learned layer."""

import pytest

from policies.engine import shipped_rules
from policies.engine.learned import description_sentences, features
from policies.engine.screen import screen_business


def _screen(name, description, website=""):
    return screen_business(name, description, website, shipped_rules())


@pytest.mark.parametrize(
    "name,description,category",
    [
        (
            "Financiera El Sol",
            "Préstamos personales y adelantos de nómina con aprobación el mismo día.",
            "lending",
        ),
        (
            "Pirotecnia Los Reyes",
            "Venta de fuegos artificiales al mayoreo para Año Nuevo y el 4 de julio.",
            "fireworks",
        ),
        (
            "Gestoría Fiscal Hidalgo",
            "Alivio de impuestos: resolvemos su deuda con el IRS en pagos pequeños.",
            "tax_relief",
        ),
        (
            "Soluciones Crediticias Norte",
            "Reparación de crédito para familias, resultados en 90 días.",
            "credit_repair",
        ),
        (
            "Despacho Jurídico Valdez",
            "Agencia de cobranza para arrendadores y clínicas, cartas y llamadas a deudores.",
            "debt_collection",
        ),
        (
            "Equipo Estrella",
            "Trabaja desde casa con tu celular; mercadeo en red con bonos semanales.",
            "work_from_home",
        ),
    ],
)
def test_a_prohibited_trade_described_in_spanish_is_refused(name, description, category):
    d = _screen(name, description)
    assert d.decision == "block"
    assert d.categories[0] == category


@pytest.mark.parametrize(
    "name,description",
    [
        ("Panadería La Estrella", "Pan dulce, conchas y pasteles para bodas y quinceañeras."),
        (
            "Clínica Dental Sonrisa",
            "Limpiezas, coronas y ortodoncia. Aceptamos la mayoría de seguros.",
        ),
        ("Taller Mecánico Hermanos Ruiz", "Frenos, afinaciones, cambio de aceite y llantas."),
    ],
)
def test_an_ordinary_business_described_in_spanish_is_allowed(name, description):
    assert _screen(name, description).decision == "allow"


@pytest.mark.parametrize(
    "text,feature",
    [
        ("Rifas y sorteos cada semana", "v:sweepstakes"),
        ("También vendemos polvo de kratom", "v:kratom"),
        ("Llamadas a deudores y cuentas atrasadas", "v:debt_collection"),
        ("We run squares boards and pull-tabs on game day", "v:gambling"),
        ("Ask about becoming an independent distributor", "v:work_from_home"),
        ("Crowlers and growlers to go", "v:alcohol"),
    ],
)
def test_trade_words_in_english_and_spanish_read_as_their_category(text, feature):
    rules = shipped_rules()
    assert feature in features(text, rules.knowledge, vocab=rules.vocabulary)


@pytest.mark.parametrize(
    "description,decision,categories",
    [
        # a Spanish rule word in its own spelling is no dodge, so a negation excuses it
        ("Carros y trocas usados. Nosotros no damos préstamos.", "allow", []),
        ("PRÉSTAMOS RÁPIDOS con aprobación el mismo día", "block", ["lending"]),
        # an English rule word dressed in accents, or case switching, still is one
        ("pàyday lóans today", "block", ["lending", "evasion"]),
        ("PrÉsTaMoS rápidos", "block", ["lending", "evasion"]),
    ],
)
def test_accents_of_a_spanish_rule_word_are_its_spelling_not_evasion(
    description, decision, categories
):
    d = _screen("Autos del Valle", description)
    assert (d.decision, list(d.categories)) == (decision, categories)


# a long About-us text of an ordinary business: read whole, one clause in it is diluted
_DINER = (
    "Maple Hollow is a family diner on Route 9 serving breakfast all day, pancakes, omelets "
    "and homemade pie. We cater birthdays, graduations and church events, and our booths "
    "seat big families. Our kitchen bakes fresh biscuits every morning and the coffee is "
    "always on."
)


@pytest.mark.parametrize(
    "clause,category",
    [
        ("Friday nights we run a cash bingo and pull tabs in the back room.", "gambling"),
        ("After nine the back room has eight-liner machines that pay out cash.", "gambling"),
        ("Ask the cashier about our weekly football squares boards with cash payouts.", "gambling"),
        (
            "We also sell disposables, wraps and 8ths behind the counter to customers 21 and up.",
            "cannabis",
        ),
    ],
)
def test_one_clause_of_a_long_description_that_offers_a_trade_is_read_alone(clause, category):
    rules = shipped_rules()
    model = rules.learned.business
    name, description = "Maple Hollow Diner", f"{_DINER} {clause}"
    whole = model.probability(
        features(f"{name}\n{description}", rules.knowledge, vocab=rules.vocabulary)
    )
    assert whole < model.thresholds["review"]  # read whole, the text passes
    d = _screen(name, description)
    assert d.decision == "block"
    assert [(r.rule_id, r.category) for r in d.reasons] == [
        (f"learned.business.{category}", category)
    ]


@pytest.mark.parametrize(
    "clause",
    [
        "On Fridays we host a kids craft hour and a free pancake breakfast for veterans.",
        "We do not sell alcohol, lottery tickets or tobacco, and there are no gaming machines.",
    ],
)
def test_a_long_description_of_an_ordinary_business_stays_allowed(clause):
    assert _screen("Maple Hollow Diner", f"{_DINER} {clause}").decision == "allow"


def test_the_sentence_windows_are_the_descriptions_sentences_of_four_words_or_more():
    text = "Pull Tab Palace\nFamily diner. Breakfast all day, every day! Pie; cash bingo on Fridays"
    spans = description_sentences(text)
    assert [text[a:b].strip() for a, b in spans] == [
        "Breakfast all day, every day",
        "cash bingo on Fridays",
    ]
    # the sign-up model carries its window threshold, chosen out of fold
    assert 0.5 <= shipped_rules().learned.business.thresholds["window"] <= 1.01
