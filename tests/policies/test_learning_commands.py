"""The learned layer's commands: staff decisions exported for retraining, the CLI's lines
unchanged with the layers on, and policy_score's sets."""

import json

import pytest
from django.core.management import call_command

from accounts.models import Business
from policies import learning, services
from policies.decisions import Decision, Reason
from policies.learning import message_label_source_register, message_labels
from tests.factories.accounts import BusinessFactory

REVIEW = Decision(
    (Reason("industry.investment.financial_planning", "investment", "review", "Review."),)
)


def _screening(name, description, approve, staff_user):
    business = BusinessFactory(vetting_status=Business.Vetting.PENDING_REVIEW)
    s = services.screening_record(
        business=business,
        name=name,
        industry_description=description,
        website=f"https://{name.split()[0].lower()}.com",
        decision=REVIEW,
    )
    if approve is not None:
        services.screening_decide(screening=s, approve=approve, reason="checked", actor=staff_user)
    return s


@pytest.mark.django_db
def test_export_labels_turns_staff_decisions_into_corpus_rows(tmp_path, staff_user):
    _screening("North Advisors", "Fee-only budgeting help", True, staff_user)
    _screening("Summit Wealth", "Annuities and guaranteed returns", False, staff_user)
    _screening("Open Case", "Still waiting for staff", None, staff_user)
    out = tmp_path / "businesses_2026_12.jsonl"
    call_command("policy_export_labels", "businesses", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["name"], r["expected"], r["category"]) for r in rows] == [
        ("North Advisors", "allow", None),
        ("Summit Wealth", "block", "investment"),
    ]
    # the training corpus's format: scoring and training read these rows as they are
    for r in rows:
        assert {"id", "name", "industry_description", "website", "expected", "category"} <= set(r)
        assert r["id"].startswith("staff-b-") and r["evasive"] is False


@pytest.mark.django_db
def test_export_labels_for_messages_reads_the_registered_queues(tmp_path):
    row = {"id": "staff-m-1", "body": "x", "kind": "marketing", "brand_domains": [],
           "expected": "block", "category": "kratom", "evasive": False}  # fmt: skip
    registered = list(learning._message_label_sources)  # messaging's, registered at start
    message_label_source_register(lambda: [row])
    try:
        out = tmp_path / "m.jsonl"
        call_command("policy_export_labels", "messages", str(out))
        assert [json.loads(x) for x in out.read_text().splitlines()] == [row]
    finally:
        # put back what the apps registered (clearing it lost messaging's queue for every
        # test after this one in the same process)
        learning._message_label_sources[:] = registered
    assert row not in list(message_labels())


def _check(tmp_path, rows):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    call_command("policy_check", "messages", str(src), "--out", str(out))
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.django_db
def test_cli_lines_keep_their_shape_with_the_learned_layer(tmp_path):
    offer = "New menu drop 🍃 Zkittlez & Gelato 41, 1/8 for $35, we pull up in 30"
    rows = [
        {"id": "a", "body": offer, "brand_domains": [], "kind": "conversational"},
        {"id": "b", "body": "Your table is ready.", "brand_domains": [], "kind": "conversational"},
        {"id": "c", "body": offer, "brand_domains": [], "kind": "conversational"},  # repeated
    ]
    out = _check(tmp_path, rows)
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert all(set(o) == {"id", "decision", "categories", "reasons"} for o in out)
    assert out[0]["decision"] == "block" and out[0]["categories"] == ["cannabis"]
    reason = out[0]["reasons"][0]
    assert set(reason) == {"rule_id", "category", "verdict", "message", "span", "matched"}
    assert reason["rule_id"] == "learned.message.cannabis" and reason["span"] is None
    assert {k: v for k, v in out[2].items() if k != "id"} == {
        k: v for k, v in out[0].items() if k != "id"
    }
    assert out[1] == {"id": "b", "decision": "allow", "categories": [], "reasons": []}


@pytest.mark.django_db
def test_policy_score_reports_before_and_after_and_marks_the_sets(capsys, tmp_path):
    call_command("policy_score", "--no-train-cv", "--json", str(tmp_path / "after.json"))
    after = capsys.readouterr().out
    call_command("policy_score", "--rules-only", "--json", str(tmp_path / "before.json"))
    before = capsys.readouterr().out
    assert "messages_holdout2" in after and "(frozen)" in after
    assert "train_messages (rules only)" in before and "cross-validated" not in before
    a = json.loads((tmp_path / "after.json").read_text())
    b = json.loads((tmp_path / "before.json").read_text())
    assert a["model"]["corpus_sha256"] and b["model"] is None
    assert a["sets"]["messages_holdout2"]["precision"] >= 0.97
    # the frozen sets are reported, never listed line by line
    call_command("policy_score", "--no-train-cv", verbosity=2)
    listed = capsys.readouterr().out.splitlines()
    frozen_at = [i for i, line in enumerate(listed) if "(frozen)" in line]
    assert frozen_at
    for i in frozen_at:
        assert i + 1 == len(listed) or not listed[i + 1].startswith("   ")
