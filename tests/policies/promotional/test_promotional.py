"""The promotional-content classifier (policies/promotional.py): table-driven, no database,
and the labelled near misses held to the targets through ``manage.py promo_score``."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from policies.promotional import classify, is_passcode, score

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize(
    ("body", "evidence"),
    [
        ("Your order shipped! Use code THANKS10 for 10% off your next order.", "10% off"),
        ("Receipt: haircut $45. Reply YES for 10% off your next visit!", "10% off"),
        ("Reminder: cleaning Tue 3pm. Book now and save on whitening!", "Book now"),
        ("Flash sale today only: sneakers $20 off.", "$20 off"),
        ("Flash sale today only!", "sale"),
        ("This week only, color + cut is just $89 (reg. $120).", "just $89"),
        ("Kids eat free every Monday.", "eat free"),
        ("Ａｌｌ shoes 30％ off", "30% off"),
        ("Tonight: half-price appetizers.", "half-price"),
        ("Happy hour 4-7pm daily.", "Happy hour"),
        ("Grand opening Saturday at Rosa's.", "Grand opening"),
        ("We have a special deal and you get it free this weekend", "special deal"),
    ],
)
def test_promotional_texts_and_the_words_that_say_so(body, evidence):
    reading = classify(body)
    assert reading.promotional
    assert reading.evidence == evidence
    assert reading.explanation == f"it reads as marketing: “{evidence}”"


@pytest.mark.parametrize(
    "body",
    [
        "Receipt: haircut $45.00, tip $9.00, total $54.00. Thank you!",
        "Reminder: your visit is tomorrow at 3pm. Free parking behind the building.",
        "Hi Maria, a full set is $45 and fills are $30.",
        "Good news: your order ships free and arrives Thursday.",
        "Your discount of $5.00 was applied. Total charged: $40.00.",
        "Your promo code SPRING was applied and you saved $12.",
        "Use code 557201 to sign in. Don't share it.",
        "The gluten-free options are the salad and the cake.",
        "Sure, feel free to call me anytime.",
        "Your sale #88231 receipt: $47.18 charged.",
        "Yes, the consultation is free and takes 20 minutes.",
        "Your subscription renews on 5/1 for $9.99. Reply HELP for help, STOP to opt out.",
        "",
    ],
)
def test_receipts_codes_reminders_and_answers_stay_what_they_are(body):
    reading = classify(body)
    assert not reading.promotional
    assert reading.signals == ()
    assert reading.evidence == "" and reading.explanation == ""


def test_one_weak_offer_word_needs_an_invitation_or_a_second_offer_word():
    assert not classify("The tasting is free.").promotional
    assert classify("The tasting is free, stop by this weekend.").promotional
    assert classify("Complimentary tasting, exclusive to our guests.").promotional


@pytest.mark.parametrize(
    ("body", "passcode"),
    [
        ("Your verification code is 482913. It expires in 10 minutes.", True),
        ("Login code: 662910. If you didn't request this, ignore this message.", True),
        ("Your one-time passcode is 8841.", True),
        ("Your code is 4821. Also: 20% off your first order when you sign up today!", False),
        ("Your verification code is 482913: https://acme.com/verify", False),
        ("Your appointment is at 10:30 on 5/6.", False),
        ("Use code SAVE20 for 20% off.", False),
    ],
)
def test_a_passcode_is_only_a_passcode(body, passcode):
    assert is_passcode(body) is passcode


def _rows(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / f"{name}.jsonl").read_text().splitlines()]


def test_the_near_miss_set_is_labelled_half_each_with_declared_kinds():
    rows = _rows("near_misses")
    assert len(rows) >= 200
    assert len({r["id"] for r in rows}) == len(rows)
    promotional = [r for r in rows if r["promotional"]]
    assert len(promotional) == len(rows) - len(promotional)
    kinds = {r["declared_kind"] for r in promotional}
    assert {"transactional", "conversational", "informational"} <= kinds


def test_the_near_miss_set_scores_at_least_the_targets():
    result = score(_rows("near_misses"))
    assert result.precision >= 0.95 and result.recall >= 0.95, result.misses


def test_score_counts_misses_both_ways():
    rows = [
        {"id": "a", "body": "20% off today", "promotional": True},
        {"id": "b", "body": "Your total is $4", "promotional": True},
        {"id": "c", "body": "Shop now!", "promotional": False},
        {"id": "d", "body": "See you at 3", "promotional": False},
    ]
    result = score(rows)
    assert (result.precision, result.recall) == (0.5, 0.5)
    assert [m["id"] for m in result.misses] == ["b", "c"]


def test_promo_score_prints_every_set_and_writes_json(tmp_path):
    out = StringIO()
    path = tmp_path / "scores.json"
    call_command("promo_score", json_path=str(path), stdout=out, verbosity=2)
    text = out.getvalue()
    assert "near_misses" in text and "OK" in text and "holdout2" in text
    data = json.loads(path.read_text())
    assert data["sets"]["near_misses"]["precision"] >= 0.95
    assert data["sets"]["near_misses"]["recall"] >= 0.95


def test_promo_score_fails_below_target(tmp_path):
    (tmp_path / "near_misses.jsonl").write_text(
        json.dumps({"id": "x", "body": "See you at 3", "promotional": True}) + "\n"
    )
    with pytest.raises(CommandError, match="below its target"):
        call_command("promo_score", dir=str(tmp_path), stdout=StringIO())
