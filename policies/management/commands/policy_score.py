"""Score the labelled corpus (tests/policies/corpus) with the rules in the database:
block recall, precision, evasive recall and category accuracy, tuning and held-out halves.

    manage.py policy_score [--corpus DIR] [--shipped] [--json PATH] [-v 2 lists the misses]
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from policies import engine
from policies.scoring import load_jsonl, score_businesses, score_messages
from policies.services import rules_current

TARGETS = {
    "block_recall": 0.95,
    "precision": 0.97,
    "evasive_recall": 0.90,
    "category_accuracy": 0.90,
}


class Command(BaseCommand):
    help = "Print corpus scores of the policy engine against the client's targets."

    def add_arguments(self, parser):
        parser.add_argument(
            "--corpus", default=str(Path(settings.BASE_DIR) / "tests/policies/corpus")
        )
        parser.add_argument(
            "--shipped", action="store_true", help="Use the shipped fixture, not the database."
        )
        parser.add_argument("--json", help="Also write the scores as JSON here.")

    def handle(self, *args, corpus, shipped, json: str | None = None, **options):
        rules = engine.shipped_rules() if shipped else rules_current()
        sets: dict[str, dict] = {}
        out = {"rules_version": rules.version, "targets": TARGETS, "sets": sets}
        failed = False
        for path in sorted(Path(corpus).glob("*.jsonl")):
            rows = load_jsonl(path)
            score = (score_businesses if path.stem.startswith("business") else score_messages)(
                rows, rules
            )
            d = score.as_dict()
            sets[path.stem] = d
            ok = all(
                d[k] >= v for k, v in TARGETS.items() if k != "evasive_recall" or d["evasive_items"]
            )
            failed |= not ok
            self.stdout.write(
                f"{path.stem:22} items {d['items']:4}  block recall {d['block_recall']:.3f}  "
                f"precision {d['precision']:.3f}  evasive recall {d['evasive_recall']:.3f} "
                f"({d['evasive_items']})  category {d['category_accuracy']:.3f}  "
                f"{'OK' if ok else 'BELOW TARGET'}"
            )
            if options["verbosity"] >= 2:
                for m in score.misses:
                    self.stdout.write(f"   miss  {m['id']} [{m.get('category')}] {_text(m)!r}")
                for m in score.false:
                    self.stdout.write(f"   false {m['id']} {m['got']} {_text(m)!r}")
                for m in score.wrong_category:
                    self.stdout.write(f"   cat   {m['id']} want {m['category']} got {m['got']}")
        if json:
            Path(json).write_text(_json_dumps(out))
        if failed:
            self.stdout.write(self.style.WARNING("Some set is below a target."))


def _text(row: dict) -> str:
    return row.get("body") or row.get("industry_description") or ""


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2) + "\n"
