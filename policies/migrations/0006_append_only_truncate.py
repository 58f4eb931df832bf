"""TRUNCATE refused on the append-only tables of policies (issue 18), and the rule history,
append-only in code until now, append-only in PostgreSQL too."""

from django.db import migrations

from accounts.db import append_only_operation, no_truncate_operation


class Migration(migrations.Migration):
    dependencies = [("policies", "0005_metrics_indexes")]

    operations = [
        no_truncate_operation("policies_policyacceptance"),
        no_truncate_operation("policies_carrierpenalty"),
        append_only_operation("policies_rulechange", nullable_fks=("actor_id",)),
    ]
