"""Load a rules fixture into the database (a newer shipped version, or a staff export).

    manage.py policy_rules_load [PATH] [--overwrite-edited]

Rules staff edited in the admin are kept unless --overwrite-edited. Recorded in the rule
history and the audit trail; every engine recompiles.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from policies import engine, models
from policies.rules_io import fixture_load
from policies.services import rule_change_record, rules_reset


def _model(_app_label: str, name: str):
    """fixture_load's model getter: the real policies models (the data migration passes its
    historical ones instead)."""
    return getattr(models, name)


class Command(BaseCommand):
    help = "Load a policy rules fixture (default: the newest shipped one)."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?")
        parser.add_argument("--overwrite-edited", action="store_true")

    def handle(self, *args, path=None, overwrite_edited=False, **options):
        p = Path(path) if path else engine.fixture_path()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {p}: {exc}") from exc
        if not isinstance(data, dict):
            raise CommandError(f"{p} is not a rules fixture: expected a JSON object.")
        try:
            with transaction.atomic():
                counts = fixture_load(_model, data, overwrite_edited=overwrite_edited)
                rule_change_record(
                    kind="RuleSet",
                    rule=str(p.name),
                    action="load",
                    before=None,
                    after={"version": data.get("version"), **counts},
                )
        except (KeyError, TypeError) as exc:  # a missing field, an unknown category, a bad row
            raise CommandError(f"{p} is not a rules fixture: bad or missing {exc}.") from exc
        rules_reset()
        self.stdout.write(f"Loaded {p.name} (version {data.get('version')}): {counts}")
