"""TRUNCATE refused on the audit trail (issue 18): the row trigger of 0002 does not see it."""

from django.db import migrations

from accounts.db import no_truncate_operation


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_privacy_and_public_split")]

    operations = [no_truncate_operation("accounts_auditevent")]
