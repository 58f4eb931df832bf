"""Staff decisions in the review queues as labelled examples, for retraining.

    manage.py policy_export_labels businesses OUT.jsonl
    manage.py policy_export_labels messages OUT.jsonl

The lines have the training corpus's format. Put the file in policies/corpus/labels/
(``businesses_<date>.jsonl`` / ``messages_<date>.jsonl``) and run ``policy_train``.
"""

import json
import sys

from django.core.management.base import BaseCommand

from policies.learning import message_labels
from policies.selectors import screening_labels


class Command(BaseCommand):
    help = "Export staff review decisions as labelled JSON lines (the corpus format)."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["businesses", "messages"])
        parser.add_argument("out", help="output file ('-' for stdout)")

    def handle(self, *args, what: str, out: str, **options):
        rows = list(screening_labels() if what == "businesses" else message_labels())
        dst = sys.stdout if out == "-" else open(out, "w", encoding="utf-8")  # noqa: SIM115
        try:
            for r in rows:
                dst.write(json.dumps(r, ensure_ascii=False) + "\n")
        finally:
            if dst is not sys.stdout:
                dst.close()
        if out != "-":
            self.stdout.write(f"{len(rows)} labelled {what} -> {out}")
