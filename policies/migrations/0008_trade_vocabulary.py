"""Trade vocabularies (issue 17): a Term scope staff edit in the admin, and the rules
fixture version 2026.12.1 that ships them (policies/fixtures/rules_2026_12_1.json)."""

import json
from pathlib import Path

from django.db import migrations, models

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "rules_2026_12_1.json"


def load(apps, schema_editor):
    from policies.rules_io import fixture_load

    fixture_load(apps.get_model, json.loads(FIXTURE.read_text(encoding="utf-8")))


def unload(apps, schema_editor):
    apps.get_model("policies", "Term").objects.filter(scope="vocabulary").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0007_screening_names_text"),
    ]

    operations = [
        migrations.CreateModel(
            name="TradeVocabulary",
            fields=[],
            options={
                "verbose_name": "trade vocabulary word",
                "verbose_name_plural": "trade vocabularies",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("policies.term",),
        ),
        migrations.AlterField(
            model_name="term",
            name="scope",
            field=models.CharField(
                choices=[
                    ("content", "Message content"),
                    ("industry", "Industry descriptor (sign-up)"),
                    ("marketing", "Marketing phrase (campaign conformance)"),
                    ("vocabulary", "Trade vocabulary (learned layer)"),
                ],
                default="content",
                max_length=10,
            ),
        ),
        migrations.RunPython(load, unload),
    ]
