"""The ledger's guards (issue 18): chain checkpoints (append-only); TRUNCATE refused on the
ledger; the consent state, the suppression list and the chain head written only inside the
ledger service's transaction (``cyc.ledger_write``)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from accounts.db import append_only_operation, no_truncate_operation, written_inside_operation

LEDGER = "consent.services.ledger"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_privacy_and_public_split"),
        ("consent", "0004_signed_record_language"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChainCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "business",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.business",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["business", "-seq"], name="chaincheckpoint_latest")
                ],
            },
        ),
        append_only_operation("consent_chaincheckpoint"),
        no_truncate_operation("consent_consentevent"),
        no_truncate_operation("consent_consentevidence"),
        written_inside_operation("consent_consentstate", setting="cyc.ledger_write", writer=LEDGER),
        written_inside_operation("consent_suppression", setting="cyc.ledger_write", writer=LEDGER),
        written_inside_operation("consent_chainhead", setting="cyc.ledger_write", writer=LEDGER),
    ]
