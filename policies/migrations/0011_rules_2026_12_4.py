"""Rules fixture version 2026.12.4 (issue 17, session 9): words of other languages the
misspelling matcher read as prohibited terms ("en camino" as casino, "carro" as carry,
"precios" as precious, "tarde" as trade, "crédito" as credit) join the fuzzy stoplist; the
sign-up screen's "brokerage" excuses freight, insurance, customs and other non-securities
brokerages, "tobacco"/"nicotine" cessation programmes and patches, and "candidate" in a
recruiter's sense. Upserted like every shipped fixture (rows staff edited are kept);
reversed by loading 2026.12.3 again."""

import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _read(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def forwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    fixture_load(apps.get_model, _read("rules_2026_12_4.json"))


def backwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    fixture_load(apps.get_model, _read("rules_2026_12_3.json"))


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0010_rules_2026_12_3"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
