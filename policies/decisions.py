"""What the policy engine answers: allow / review / block, with machine-readable reasons.

Pure data, no ORM: the engine, the services and every caller share these types.
"""

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["allow", "review", "block"]
_RANK: dict[Verdict, int] = {"allow": 0, "review": 1, "block": 2}
_BY_RANK: dict[int, Verdict] = {rank: v for v, rank in _RANK.items()}


@dataclass(frozen=True)
class Reason:
    rule_id: str  # stable id of the rule that fired, e.g. "content.lending.payday_loan"
    category: str  # one of the category slugs in DESIGN.md, e.g. "lending", "link_shortener"
    verdict: Verdict  # what this reason alone asks for
    message: str  # a sentence a business owner understands
    span: tuple[int, int] | None = None  # where in the original text it matched
    matched: str = ""  # the matched text

    def as_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "verdict": self.verdict,
            "message": self.message,
            "span": list(self.span) if self.span else None,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class Decision:
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def decision(self) -> Verdict:
        if not self.reasons:
            return "allow"
        return _BY_RANK[max([_RANK[r.verdict] for r in self.reasons])]

    @property
    def allowed(self) -> bool:
        return self.decision == "allow"

    @property
    def categories(self) -> list[str]:
        """Distinct categories in reason order: the engine puts the primary one first."""
        return list(dict.fromkeys(r.category for r in self.reasons))

    def as_dict(self) -> dict:
        return {
            "decision": self.decision,
            "categories": self.categories,
            "reasons": [r.as_dict() for r in self.reasons],
        }


ALLOW = Decision()
