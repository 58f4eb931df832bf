"""Rules fixture version 2026.12.5 (issue 17, session 9): the sign-up screen reads a campaign
by its work ("voter registration drive", "get out the vote", "council campaign", in English,
Korean and Vietnamese) and lead sellers by theirs ("shared leads", "exclusive leads",
"génération de leads"), as the message gate already did; the learned layer, retrained on
more ordinary near-miss businesses, no longer carries these alone. Upserted like every
shipped fixture (rows staff edited are kept); reversed by loading 2026.12.4 again (the
terms only 2026.12.5 ships are removed)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _read(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def forwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    fixture_load(apps.get_model, _read("rules_2026_12_5.json"))


def backwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    old = _read("rules_2026_12_4.json")
    fixture_load(apps.get_model, old)
    kept = {t["id"] for t in old["industries"]}
    added = {t["id"] for t in _read("rules_2026_12_5.json")["industries"]} - kept
    apps.get_model("policies", "Term").objects.filter(rule_id__in=added).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0011_rules_2026_12_4"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
