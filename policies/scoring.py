"""Corpus scoring: run labelled messages and businesses through the engine, compute the
targets the client measures (block recall, precision, evasive recall, category accuracy)."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from .engine import check_message, screen_business
from .engine.compiler import CompiledRules


@dataclass
class Score:
    total: int = 0
    positives: int = 0  # expected block
    caught: int = 0  # expected block, got block
    clean: int = 0
    false_flags: int = 0  # expected allow, got review or block
    opt_out_only: int = 0  # ... of which flagged for nothing but missing opt-out language
    evasive: int = 0
    evasive_caught: int = 0
    category_right: int = 0
    misses: list[dict] = field(default_factory=list)
    false: list[dict] = field(default_factory=list)
    wrong_category: list[dict] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.caught / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        flagged = self.caught + self.false_flags
        return self.caught / flagged if flagged else 1.0

    @property
    def content_precision(self) -> float:
        """Precision when a clean text flagged only for a missing "Reply STOP" is not counted
        (a compliance rule, not what the text offers)."""
        flagged = self.caught + self.false_flags - self.opt_out_only
        return self.caught / flagged if flagged else 1.0

    def add(self, other: "Score") -> None:
        for f in [
            "total",
            "positives",
            "caught",
            "clean",
            "false_flags",
            "opt_out_only",
            "evasive",
            "evasive_caught",
            "category_right",
        ]:
            setattr(self, f, getattr(self, f) + getattr(other, f))
        self.misses += other.misses
        self.false += other.false
        self.wrong_category += other.wrong_category

    @property
    def evasive_recall(self) -> float:
        return self.evasive_caught / self.evasive if self.evasive else 1.0

    @property
    def category_accuracy(self) -> float:
        return self.category_right / self.caught if self.caught else 1.0

    def as_dict(self) -> dict:
        return {
            "items": self.total,
            "should_block": self.positives,
            "clean": self.clean,
            "block_recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "precision_content": round(self.content_precision, 4),
            "opt_out_only_flags": self.opt_out_only,
            "evasive_items": self.evasive,
            "evasive_recall": round(self.evasive_recall, 4),
            "category_accuracy": round(self.category_accuracy, 4),
            "false_flags": self.false_flags,
            "misses": len(self.misses),
        }


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _tally(score: Score, row: dict, got: dict) -> None:
    score.total += 1
    expected = row["expected"]
    decision = got["decision"]
    if expected == "block":
        score.positives += 1
        if row.get("evasive"):
            score.evasive += 1
        if decision == "block":
            score.caught += 1
            if row.get("evasive"):
                score.evasive_caught += 1
            if row.get("category") in got["categories"]:
                score.category_right += 1
            else:
                score.wrong_category.append({**row, "got": got["categories"]})
        else:
            score.misses.append({**row, "got": decision})
    else:
        score.clean += 1
        if decision != "allow":
            score.false_flags += 1
            if got["categories"] == ["missing_opt_out"]:
                score.opt_out_only += 1
            score.false.append(
                {**row, "got": got["categories"], "why": [r["message"] for r in got["reasons"]]}
            )


def score_messages(rows: list[dict], rules: CompiledRules) -> Score:
    score = Score()
    for row in rows:
        if "expected" not in row:  # a set of clean near misses (promotional wording)
            row = {**row, "expected": "allow", "kind": row.get("declared_kind", "marketing")}
        got = check_message(
            row["body"],
            rules,
            kind=row.get("kind", "marketing"),
            brand_domains=row.get("brand_domains", []),
        ).as_dict()
        _tally(score, row, got)
    return score


def score_businesses(rows: list[dict], rules: CompiledRules) -> Score:
    score = Score()
    for row in rows:
        got = screen_business(
            row.get("name", ""), row.get("industry_description", ""), row.get("website", ""), rules
        ).as_dict()
        _tally(score, row, got)
    return score
