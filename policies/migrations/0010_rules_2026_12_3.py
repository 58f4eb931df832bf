"""Rules fixture version 2026.12.3 (issue 17, session 8): more public link shorteners
(rb.gy's kin: qr.io, dub.sh, x.gd, vk.cc, hubs.ly...; policies/fixtures/rules_2026_12_3.json),
upserted like every shipped fixture (rows staff edited are kept). Reversed by loading
2026.12.2 again and removing the shortener domains only 2026.12.3 ships."""

import json
from pathlib import Path

from django.db import migrations

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _read(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def forwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    fixture_load(apps.get_model, _read("rules_2026_12_3.json"))


def backwards(apps, schema_editor):
    from policies.rules_io import fixture_load

    old = _read("rules_2026_12_2.json")
    fixture_load(apps.get_model, old)
    added = {s["domain"] for s in _read("rules_2026_12_3.json")["shorteners"]}
    added -= {s["domain"] for s in old["shorteners"]}
    apps.get_model("policies", "ShortenerDomain").objects.filter(domain__in=added).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0009_rules_2026_12_2"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
