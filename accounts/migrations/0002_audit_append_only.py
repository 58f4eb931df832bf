from django.db import migrations

from accounts.db import append_only_operation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        append_only_operation("accounts_auditevent", nullable_fks=("actor_id", "business_id")),
    ]
