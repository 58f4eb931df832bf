"""TRUNCATE refused on the cookie consent records (issue 18): the row trigger (accounts
0003) does not see it."""

from django.db import migrations

from accounts.db import no_truncate_operation


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [no_truncate_operation("accounts_cookieconsentrecord")]
