"""Rules fixture version 2026.12.2 (issue 17, round 4): industry descriptors in Spanish and
wider trade vocabularies (policies/fixtures/rules_2026_12_2.json), upserted by rule id like
every shipped fixture (rows staff edited are kept). Reversed by loading 2026.12.1 again,
which switches off the rules it does not hold."""

import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _load(name):
    def run(apps, schema_editor):
        from policies.rules_io import fixture_load

        data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        fixture_load(apps.get_model, data)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0008_trade_vocabulary"),
    ]

    operations = [
        migrations.RunPython(_load("rules_2026_12_2.json"), _load("rules_2026_12_1.json")),
    ]
