"""The learned layer: features, calibration, thresholds per gate, its reasons, and the shipped
model file trained from the corpus as it is."""

import json
import math

import pytest
from django.core.management import CommandError, call_command

from policies.engine import compile_rules, load_fixture, shipped_knowledge, shipped_model
from policies.engine import learned as L
from policies.engine.checks import check_campaign, check_message
from policies.engine.screen import screen_business
from policies.learning import corpus_hash

K = shipped_knowledge()


def test_features_read_symbols_cues_numbers_and_negation():
    f = L.features("🍃 1/8 $35, we dont sell alcohol", K)
    assert "e:leaf_fluttering_in_wind" in f and "c:cannabis" in f
    assert {"q:price", "q:quantity"} <= set(f)
    assert "not_alcohol" in f and "alcohol" not in f
    assert "<00>" in f  # numbers by shape: "35" and "41" are the same feature
    assert "we dont" in f  # word pairs


def _toy_rows():
    offers = ["fresh flower and prerolls, same day drop", "carts and edibles delivered tonight"]
    clean = ["your haircut is booked for tuesday", "fresh bread and pastries this morning"]
    rows = []
    for i in range(30):
        rows.append(
            {
                "id": f"b{i}",
                "body": offers[i % 2] + f" {i}",
                "expected": "block",
                "category": "cannabis",
                "kind": "conversational",
            }
        )
        rows.append(
            {
                "id": f"a{i}",
                "body": clean[i % 2] + f" {i}",
                "expected": "allow",
                "category": None,
                "kind": "conversational",
            }
        )
    return rows


def test_training_is_deterministic_and_separates_the_classes(monkeypatch):
    monkeypatch.setattr(L, "MAX_DF", 1.0)  # a toy corpus: every word is in many texts
    rows = _toy_rows()
    m1, oof1 = L.train_gate(rows, K, "message", L.message_text)
    m2, oof2 = L.train_gate(rows, K, "message", L.message_text)
    assert m1.as_dict() == m2.as_dict() and oof1 == oof2
    f_offer = L.features("prerolls and carts, same day drop", K)
    f_clean = L.features("your haircut is booked", K)
    assert m1.probability(f_offer) > 0.9 > 0.1 > m1.probability(f_clean)
    assert m1.category(f_offer) == "cannabis"
    assert m1.thresholds["block"] == m1.thresholds["review"]  # messages: no review band


def test_platt_calibration_matches_frequencies():
    # scores where the true frequency of positives rises with the score
    scores, ys = [], []
    for s in range(-5, 6):
        pos = round(10 / (1 + math.exp(-s)))
        scores += [float(s)] * 10
        ys += [1] * pos + [0] * (10 - pos)
    a, b = L._fit_platt(scores, ys)
    for s in (-3.0, 0.0, 3.0):
        p = 1 / (1 + math.exp(-(a * s + b)))
        assert abs(p - 1 / (1 + math.exp(-s))) < 0.06


def test_signup_prefers_review_below_block():
    probs = [0.95, 0.9, 0.8, 0.7, 0.6, 0.3, 0.2, 0.1]
    ys = [1, 1, 1, 1, 0, 0, 0, 0]
    b = L._pick_thresholds(probs, ys, "business")
    m = L._pick_thresholds(probs, ys, "message")
    assert b["review"] < b["block"] == m["block"] == m["review"]


def _rules():
    rules = compile_rules(load_fixture())
    rules.knowledge = K
    rules.learned = shipped_model()
    return rules


def test_shipped_model_raises_an_unflagged_offer_with_its_own_reason():
    plain = compile_rules(load_fixture())
    rules = _rules()
    body = "New menu drop 🍃 Zkittlez & Gelato 41, 1/8 for $35, we pull up in 30"
    assert check_message(body, plain, kind="transactional").decision == "allow"
    got = check_message(body, rules, kind="transactional")
    r = got.reasons[0]
    assert got.decision == "block" and r.rule_id == "learned.message.cannabis"
    assert r.message.startswith("This reads like an offer of cannabis")
    assert "probability" in r.message


def test_shipped_model_overrules_a_lone_word_read_in_another_sense():
    rules = _rules()
    plain = compile_rules(load_fixture())
    name, desc = "Pistol Pete's Pizza", "Pizza by the slice, wings, calzones. Late night delivery."
    assert screen_business(name, desc, "", plain).decision == "block"
    assert screen_business(name, desc, "", rules).decision == "allow"
    # an evasive spelling is never overruled
    got = check_message("g3t y0ur p1st0l t0day", rules, kind="transactional")
    assert got.decision == "block"


@pytest.mark.parametrize(
    "body",
    [
        "Your cleaning is tomorrow at 9am. Reply C to confirm.",
        "Fresh sourdough and croissants out of the oven at 7!",
        "Your car is ready for pickup. Total $182.40.",
    ],
)
def test_shipped_model_leaves_ordinary_messages_alone(body):
    assert check_message(body, _rules(), kind="transactional").decision == "allow"


def test_shipped_model_was_trained_on_the_corpus_as_it_is():
    meta = json.loads(L.MODEL_PATH.read_text())["meta"]
    assert meta["corpus_sha256"] == corpus_hash(), "run manage.py policy_train"
    assert meta["feature_version"] == L.FEATURE_VERSION


def test_retraining_reproduces_the_shipped_file(tmp_path):
    out = tmp_path / "model.json"
    call_command("policy_train", "--out", str(out))
    assert out.read_text() == L.MODEL_PATH.read_text()
    call_command("policy_train", "--check")


def test_policy_train_check_fails_on_a_model_from_another_corpus(tmp_path):
    stale = tmp_path / "stale.json"
    d = json.loads(L.MODEL_PATH.read_text())
    d["meta"]["corpus_sha256"] = "0" * 64
    stale.write_text(json.dumps(d))
    with pytest.raises(CommandError, match="another corpus"):
        call_command("policy_train", "--check", "--out", str(stale))


def test_cross_validation_judges_each_row_by_a_model_that_did_not_see_it(tmp_path, monkeypatch):
    from policies import learning

    monkeypatch.setattr(L, "MAX_DF", 1.0)
    rows = _toy_rows()
    train = tmp_path / "train"
    train.mkdir()
    (train / "messages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    biz = [
        {"id": f"x{i}", "name": n, "industry_description": d, "website": "", "expected": e,
         "category": c}
        for i, (n, d, e, c) in enumerate(
            [("Green Leaf", "flower and prerolls", "block", "cannabis"),
             ("Luna Salon", "haircuts and color", "allow", None)] * 10
        )
    ]  # fmt: skip
    (train / "businesses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in biz))
    monkeypatch.setattr(learning, "TRAIN_DIR", train)
    monkeypatch.setattr(learning, "OLD_DEV", tmp_path / "none")
    monkeypatch.setattr(learning, "LABELS_DIR", tmp_path / "none")
    got = learning.cross_validated_scores(compile_rules(load_fixture()), folds=3)
    assert got["message"].total == len(rows) and got["business"].total == len(biz)
    assert got["message"].recall == 1.0 and got["message"].content_precision == 1.0


def test_campaign_gate_reads_the_description_with_the_signup_model():
    rules = _rules()
    plain = compile_rules(load_fixture())
    args = {
        "usecase": "MIXED",
        "sub_usecases": [],
        "description": "Top shelf exotics and house carts, discreet drop-offs for members",
        "message_flow": "Customers text JOIN at the counter.",
        "samples": [],
        "flags": {},
        "brand_name": "Canopy",
        "brand_domains": ["canopy.com"],
    }
    assert check_campaign(**args, rules=plain).decision == "allow"
    got = check_campaign(**args, rules=rules)
    r = next(r for r in got.reasons if r.rule_id.startswith("learned.campaign."))
    assert got.decision in ("review", "block") and r.category == "cannabis"
    assert r.message.startswith("In the description: This reads like an offer of")
