"""The privacy and public-site models move to their own apps (accounts.privacy,
accounts.public) with their tables: only the migration state changes here; the tables, their
rows and the append-only trigger on accounts_cookieconsentrecord stay as they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_public_site"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CookieConsentRecord"),
                migrations.DeleteModel(name="UsageLogEntry"),
                migrations.DeleteModel(name="RetentionRun"),
                migrations.DeleteModel(name="AppointmentRequest"),
                migrations.DeleteModel(name="SupportRequest"),
            ],
            database_operations=[],
        ),
    ]
