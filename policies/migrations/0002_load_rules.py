"""Load the shipped rules fixture (policies/fixtures/rules_<version>.json)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rules_2026_11_1.json"


def load(apps, schema_editor):
    from policies.rules_io import fixture_load

    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    fixture_load(apps.get_model, data)


def unload(apps, schema_editor):
    for name in ("Term", "Pattern", "ProhibitedUseCase", "ShortenerDomain", "Category", "RuleSet"):
        apps.get_model("policies", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
