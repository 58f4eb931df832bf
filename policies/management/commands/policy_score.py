"""Score the labelled sets with the rules in the database and the shipped learned layer:
block recall, precision, evasive recall and category accuracy.

    manage.py policy_score [--corpus DIR] [--shipped] [--no-train-cv] [--json PATH] [-v 2]
    manage.py policy_score --set FILE [--set FILE ...] [--rows FROM:TO] [-v 2]

With ``--set``, only the given files are scored (messages or businesses by the file's name,
or by its rows' fields), with the engine as it is: new rows scored as unseen text before
they join the training corpus. ``--rows 1565:1800`` keeps only those lines (1-based,
inclusive) of each file, e.g. the rows appended to ``policies/corpus/train/businesses.jsonl``.

Sets, in order: the old tuning and held-out sets (tests/policies/corpus), the training
corpus cross-validated (policies/corpus/train: each row judged by a learned layer trained
without it), the frozen evaluation set (tests/policies/frozen: reported, never tuned on, so
``-v 2`` never lists its lines), and the promotional near misses if present
(tests/policies/promotional/near_misses.jsonl: clean texts, so only false flags count).
"""

import dataclasses
import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from policies import engine
from policies.learning import cross_validated_scores
from policies.scoring import Score, load_jsonl, score_businesses, score_messages
from policies.services import rules_current

TARGETS = {
    "block_recall": 0.95,
    "precision": 0.97,
    "evasive_recall": 0.90,
    "category_accuracy": 0.90,
}
BASE = Path(settings.BASE_DIR)
FROZEN = BASE / "tests/policies/frozen"
TRAIN = BASE / "policies/corpus/train"
NEAR_MISSES = BASE / "tests/policies/promotional/near_misses.jsonl"


class Command(BaseCommand):
    help = "Print corpus scores of the policy engine against the client's targets."

    def add_arguments(self, parser):
        parser.add_argument("--corpus", default=str(BASE / "tests/policies/corpus"))
        parser.add_argument(
            "--shipped", action="store_true", help="Use the shipped fixture, not the database."
        )
        parser.add_argument(
            "--no-train-cv",
            action="store_true",
            help="Skip the cross-validated training corpus (it retrains 5 times, ~30 s).",
        )
        parser.add_argument(
            "--rules-only",
            action="store_true",
            help="The engine as it was before issue 17: no knowledge, no learned layer.",
        )
        parser.add_argument(
            "--no-frozen",
            action="store_true",
            help="Leave the frozen evaluation set out (while working on the engine: it is "
            "run once per change, at the end).",
        )
        parser.add_argument(
            "--set",
            action="append",
            dest="sets",
            default=[],
            metavar="FILE",
            help="Score only this labelled file (repeatable), as unseen text.",
        )
        parser.add_argument(
            "--rows",
            help="With --set: only lines FROM:TO of each file (1-based, inclusive; "
            "either end may be left out).",
        )
        parser.add_argument("--json", help="Also write the scores as JSON here.")

    def handle(
        self,
        *args,
        corpus,
        shipped,
        no_train_cv,
        rules_only,
        no_frozen=False,
        json: str | None = None,
        sets: list[str] | None = None,
        rows: str | None = None,
        **options,
    ):
        rules = engine.shipped_rules() if shipped else rules_current()
        if rules_only:
            rules = dataclasses.replace(rules, knowledge=None, learned=None)
        scored: dict[str, dict] = {}
        model = rules.learned.meta if rules.learned is not None else None
        out = {"rules_version": rules.version, "model": model, "targets": TARGETS, "sets": scored}
        self.failed = False
        self.verbose = options["verbosity"] >= 2
        if sets:
            lo, hi = _row_range(rows)
            for name in sets:
                path = Path(name)
                if path.resolve().parent == FROZEN.resolve():
                    raise CommandError("The frozen set is scored only with the other sets.")
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                picked = load_jsonl(path)[lo:hi]
                label = path.stem + (f" rows {rows}" if rows else "")
                self._report(scored, label, _score_rows(path, picked, rules))
            self._finish(out, json)
            return
        if rows:
            raise CommandError("--rows goes with --set.")
        for path in sorted(Path(corpus).glob("*.jsonl")):
            self._report(scored, path.stem, _score(path, rules))
        if rules_only:  # nothing learned: the training corpus is just another unseen set
            for stem in ("messages", "businesses"):
                path = TRAIN / f"{stem}.jsonl"
                if path.exists():
                    self._report(scored, f"train_{stem} (rules only)", _score(path, rules))
        elif not no_train_cv:
            cv = cross_validated_scores(rules)
            self._report(scored, "train_messages (5-fold cross-validated)", cv["message"])
            self._report(scored, "train_businesses (5-fold cross-validated)", cv["business"])
        for path in [] if no_frozen else sorted(FROZEN.glob("*.jsonl")):
            self._report(scored, f"{path.stem} (frozen)", _score(path, rules), listing=False)
        if NEAR_MISSES.exists():
            self._report(scored, "promotional near misses (clean)", _score(NEAR_MISSES, rules))
        self._finish(out, json)

    def _finish(self, out: dict, json: str | None) -> None:
        if json:
            Path(json).write_text(_json_dumps(out))
        if self.failed:
            self.stdout.write(self.style.WARNING("Some set is below a target."))

    def _report(self, sets: dict, name: str, score: Score, listing: bool = True) -> None:
        d = score.as_dict()
        sets[name] = d
        if not score.positives:  # clean texts only: what counts is how many were flagged
            ok = score.false_flags == 0
            self.stdout.write(
                f"{name:42} items {d['items']:4}  flagged {d['false_flags']} "
                f"({d['opt_out_only_flags']} for the opt-out line only)  "
                f"{'OK' if ok else 'FALSE FLAGS'}"
            )
        else:
            ok = all(
                d[k] >= v for k, v in TARGETS.items() if k != "evasive_recall" or d["evasive_items"]
            )
            self.stdout.write(
                f"{name:42} items {d['items']:4}  block recall {d['block_recall']:.3f}  "
                f"precision {d['precision']:.3f} (content {d['precision_content']:.3f})  "
                f"evasive recall {d['evasive_recall']:.3f} ({d['evasive_items']})  "
                f"category {d['category_accuracy']:.3f}  {'OK' if ok else 'BELOW TARGET'}"
            )
        self.failed |= not ok
        if self.verbose and listing:
            for m in score.misses:
                self.stdout.write(f"   miss  {m['id']} [{m.get('category')}] {_text(m)!r}")
            for m in score.false:
                self.stdout.write(f"   false {m['id']} {m['got']} {_text(m)!r}")
            for m in score.wrong_category:
                self.stdout.write(f"   cat   {m['id']} want {m['category']} got {m['got']}")


def _score(path: Path, rules) -> Score:
    return _score_rows(path, load_jsonl(path), rules)


def _score_rows(path: Path, rows: list[dict], rules) -> Score:
    business = path.stem.startswith("business") or (
        bool(rows) and "body" not in rows[0] and "industry_description" in rows[0]
    )
    return (score_businesses if business else score_messages)(rows, rules)


def _row_range(rows: str | None) -> tuple[int | None, int | None]:
    """ "1565:1800" -> slice bounds of lines 1565..1800 (1-based, inclusive)."""
    if not rows:
        return None, None
    a, sep, b = rows.partition(":")
    try:
        lo = int(a) - 1 if a else None
        hi = int(b) if b else None
    except ValueError:
        raise CommandError(f"--rows wants FROM:TO line numbers, not {rows!r}.") from None
    if not sep or (lo is not None and lo < 0) or (hi is not None and hi < 1):
        raise CommandError(f"--rows wants FROM:TO line numbers (from 1), not {rows!r}.")
    return lo, hi


def _text(row: dict) -> str:
    return row.get("body") or row.get("industry_description") or ""


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2) + "\n"
