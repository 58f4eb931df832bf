"""Issue 17, round 3: the sign-up screen reads a name's word in its other sense when the
description says what the business does, "no-X" and "non X" negate X only, and
policy_score scores new rows as unseen text (--set, --rows)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policies.engine import shipped_rules
from policies.engine.learned import features
from policies.engine.screen import screen_business


def _screen(name, description, website=""):
    return screen_business(name, description, website, shipped_rules())


@pytest.mark.parametrize(
    "name,description,website",
    [
        # a phrase of the rules only in the name; the description names an ordinary trade
        (
            "Pistol Creek Plumbing",
            "Residential plumbing, water heater installs and drain cleaning across the county.",
            "",
        ),
        # ... and the website's name, read the same way as the business's name
        (
            "Work From Home Desks",
            "Standing desks, office chairs, monitor arms and delivery with assembly for "
            "home offices.",
            "https://workfromhomedesks.com",
        ),
        (
            "Jackpot Landscaping",
            "Lawn mowing, landscaping, mulch and seasonal cleanups for homeowners.",
            "https://jackpotlandscaping.com",
        ),
    ],
)
def test_a_term_only_in_the_name_of_an_ordinary_trade_is_read_in_its_other_sense(
    name, description, website
):
    assert _screen(name, description, website).decision == "allow"


@pytest.mark.parametrize(
    "name,description",
    [
        # the same name, a prohibited description: the rules' reason stands
        ("Pistol Creek Plumbing", "Handguns, rifles and ammo, transfers through our FFL."),
        # a description too short to say what the business does: the name decides
        ("Quick Cash Co", "Great food"),
        ("Work From Home Desks", "Standing desks"),
        # a spelling that dodges the rules is never a name's other sense
        (
            "K.u.s.h Kings Lawn Care",
            "Lawn mowing and landscaping for homeowners and small offices.",
        ),
        # the name's term said again in the description is not only in the name
        (
            "Sunset Hookah Grill",
            "Family restaurant with shawarma, kabobs and salads, plus premium hookah on our patio.",
        ),
        # the term in the description itself
        ("Quick Cash Now", "Cash advances until your next paycheck, approval in minutes."),
    ],
)
def test_the_name_is_not_overruled_when_the_description_does_not_clear_it(name, description):
    assert _screen(name, description).decision == "block"


@pytest.mark.parametrize(
    "name",
    ["Quick Payday Loans", "Quick Payday Loans, LLC", "Main Street Vape Shop", "Ace Gun Store"],
)
def test_a_phrase_of_the_rules_that_ends_the_name_is_never_read_in_another_sense(name):
    # the head of a name says what the business is: a clean description (a brand renamed
    # after its sign-up, an old description) does not overrule it
    description = "Nail salon: manicures, pedicures and gel polish for the whole family."
    assert _screen(name, description).decision == "block"
    assert _screen(name, description, "https://www.example-brand.com").decision == "block"


def test_the_model_thresholds_of_the_sign_up_screen_include_the_name_readings():
    th = shipped_rules().learned.business.thresholds
    assert 0 < th["clear_description"] < th["description_veto"] < th["name_veto"] < th["review"]


def test_no_hyphen_and_non_negate_their_own_word_only():
    k = shipped_rules().knowledge
    f = features("Discreet affairs and no-strings hookups", k)
    assert "not_string" in f and "hookup" in f and "not_hookup" not in f
    assert "not_alcoholic" in features("non-alcoholic beer", k)
    assert "not_alcohol" in features("No alcohol served at our venue", k)
    # the rules too: "no-fuss" does not excuse what follows it
    rules = shipped_rules()
    assert screen_business("Easy Money", "No-fuss payday loans", "", rules).decision == "block"


def test_ordinary_trade_words_come_from_the_knowledge_fixture():
    k = shipped_rules().knowledge
    assert "plumbing" in k.ordinary_trades and "upholstery" in k.ordinary_trades
    # words prohibited trades also use of themselves are left out
    assert k.ordinary_trades.isdisjoint({"shop", "store", "bar", "clinic", "repair", "farm"})


@pytest.mark.django_db
def test_policy_score_scores_a_file_or_some_of_its_rows_as_unseen(capsys, tmp_path):
    rows = [
        {
            "id": "n1",
            "name": "A",
            "industry_description": "Payday loans, no credit check",
            "website": "",
            "expected": "block",
            "category": "lending",
        },
        {
            "id": "n2",
            "name": "B",
            "industry_description": "Family dentist, cleanings and crowns",
            "website": "",
            "expected": "allow",
        },
        {"id": "n3", "body": "x", "expected": "allow"},
    ]
    path = tmp_path / "new_businesses.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    call_command(
        "policy_score", "--set", str(path), "--rows", "2:", "--json", str(tmp_path / "o.json")
    )
    out = json.loads((tmp_path / "o.json").read_text())
    assert list(out["sets"]) == ["new_businesses rows 2:"]
    assert out["sets"]["new_businesses rows 2:"]["items"] == 1
    assert "train_businesses" not in capsys.readouterr().out
    call_command("policy_score", "--set", str(path), "--json", str(tmp_path / "o.json"))
    got = json.loads((tmp_path / "o.json").read_text())["sets"]["new_businesses"]
    assert got["items"] == 2 and got["block_recall"] == 1.0
    with pytest.raises(CommandError):
        call_command("policy_score", "--set", str(path), "--rows", "x:y")
    with pytest.raises(CommandError):
        call_command("policy_score", "--rows", "1:2")
    with pytest.raises(CommandError):
        call_command("policy_score", "--set", str(tmp_path / "missing.jsonl"))
    with pytest.raises(CommandError):
        call_command("policy_score", "--set", "tests/policies/frozen/businesses_frozen.jsonl")
