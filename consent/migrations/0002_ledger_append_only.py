from django.db import migrations

from accounts.db import append_only_operation


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        # The consent ledger: PostgreSQL refuses UPDATE and DELETE (a deleted recorder may
        # only detach: recorded_by_id may become NULL).
        append_only_operation("consent_consentevent", nullable_fks=("recorded_by_id",)),
    ]
