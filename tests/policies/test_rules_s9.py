"""Issue 17, session 9 (rules 2026.12.4 and 2026.12.5): false alarms of general kinds seen on a new
independent hold-out, each shown here with sentences of our own.

- Words of other languages are not misspellings of prohibited terms: "va en camino" is not
  casino, "carro" not carry, "precios" not precious, "tarde" not trade.
- The sign-up screen's "brokerage" is securities only: freight, insurance and customs
  brokerages are ordinary; "tobacco" and "nicotine" in a cessation programme, patches and
  gum are not tobacco sales; "candidates" of a staffing agency are not political ones.
Each keeps its prohibited reading where it is one; and (2026.12.5) the sign-up screen knows
a campaign and a lead seller by their work, as the message gate did."""

import pytest

from policies.engine import screen_business, shipped_rules
from policies.engine.checks import check_message


@pytest.fixture(scope="module")
def rules():
    return shipped_rules()


def test_the_shipped_fixture_is_2026_12_5(rules):
    assert rules.version == "2026.12.5"


@pytest.mark.parametrize(
    "body",
    [
        "Hola Ana, el conductor va en camino, llega en 5 min.",
        "Sr. Ruiz, su carro está listo en el taller. Total $180.",
        "Nuevos precios de temporada en cortes y tintes, nos vemos el sábado.",
        "Buenas tardes, su cita es mañana a las 3 de la tarde.",
    ],
)
def test_spanish_words_are_not_read_as_misspelt_prohibited_terms(rules, body):
    d = check_message(body, rules, kind="conversational")
    assert d.decision == "allow", d.as_dict()


def test_a_real_misspelling_is_still_caught(rules):
    d = check_message("Big w1ns at the kasino tonight, free spins!", rules, kind="conversational")
    assert d.decision == "block" and "gambling" in d.categories


@pytest.mark.parametrize(
    "name,description",
    [
        ("Lakeside Freight", "Freight brokerage and truck dispatch for flatbed and reefer loads."),
        ("Harbor Risk Partners", "Insurance brokerage for restaurants and contractors."),
        ("Port City Customs", "Customs brokerage and import paperwork for small shippers."),
        ("Quit Strong", "County tobacco cessation classes; free nicotine patches and gum."),
    ],
)
def test_ordinary_businesses_sharing_a_word_are_allowed(rules, name, description):
    d = screen_business(name, description, "", rules)
    assert d.decision == "allow", d.as_dict()


@pytest.mark.parametrize(
    "description",
    [
        "Per diem nurse staffing; texts to job candidates about shifts.",
        "Recruiting firm: candidate screening and candidate placement for IT roles.",
        "We text our candidates about open shifts and interviews.",
    ],
)
def test_a_recruiters_candidates_are_not_the_political_term(rules, description):
    """The rule's reading only (the learned layer still weighs the word "candidate" toward
    political on its own: see policies/README.md, session 9)."""
    d = screen_business("ShiftReady", description, "", rules)
    assert "industry.political.candidate" not in {r.rule_id for r in d.reasons}, d.as_dict()


@pytest.mark.parametrize(
    "name,description,category",
    [
        (
            "Summit Securities",
            "Online brokerage for day traders: options and penny stocks.",
            "investment",
        ),
        ("Cloud Nine Smoke", "Tobacco, hookah and nicotine pouches, wholesale prices.", "tobacco"),
        ("Vote Rivera 2026", "Campaign committee of a candidate for city council.", "political"),
        (
            "Ward 3 Forward",
            "Council campaign: voter registration drives and canvassing.",
            "political",
        ),
        ("Civic Turnout Co", "Get out the vote texting for Tuesday's primary.", "political"),
        ("LeadStream", "Shared leads and exclusive leads for insurance agents.", "lead_generation"),
        ("ProspectoMax", "Génération de leads pour courtiers; leads exclusifs.", "lead_generation"),
    ],
)
def test_the_prohibited_readings_stay(rules, name, description, category):
    d = screen_business(name, description, "", rules)
    assert d.decision == "block" and category in d.categories, d.as_dict()
