"""Train the learned layer from the training corpus and write the shipped model file.

    manage.py policy_train [--out PATH] [--check]

Deterministic: the same corpus gives the same file (fixed fold split and shuffle seed,
rounded weights). ``--check`` writes nothing and fails if the shipped file was not trained
from the corpus as it is now (its recorded corpus hash differs).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from policies.engine import learned
from policies.learning import corpus_hash, train_from_corpus


class Command(BaseCommand):
    help = "Train the policy engine's learned layer from policies/corpus (seconds)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(learned.MODEL_PATH))
        parser.add_argument("--check", action="store_true")

    def handle(self, *args, out: str, check: bool, **options):
        if check:
            shipped = json.loads(Path(out).read_text(encoding="utf-8"))["meta"]["corpus_sha256"]
            if shipped != corpus_hash():
                raise CommandError(
                    f"{out} was trained on another corpus; run manage.py policy_train."
                )
            self.stdout.write(f"{out} matches the corpus ({shipped[:12]}).")
            return
        model, _oof = train_from_corpus()
        Path(out).write_text(learned.model_json(model), encoding="utf-8")
        for gate in ("message", "business"):
            g = getattr(model, gate)
            self.stdout.write(
                f"{gate:8} rows {model.meta['rows'][gate]:5}  features {len(g.weights):6}  "
                f"thresholds {g.thresholds}  platt {g.platt[0]:.3f},{g.platt[1]:.3f}"
            )
        self.stdout.write(f"-> {out} (corpus {model.meta['corpus_sha256'][:12]})")
