"""The allow-list's first rows: what US carriers deliver reliably over MMS (Twilio's
"accepted content types for media": JPEG, PNG and GIF are formatted for the handset;
vCard is accepted). WebP is recognised but off: many handsets cannot show it."""

from django.db import migrations

TYPES = [
    ("image/jpeg", "JPEG picture", True, "Supported by every US carrier; resized to fit."),
    ("image/png", "PNG picture", True, "Supported by every US carrier; resized to fit."),
    ("image/gif", "GIF picture", True, "Supported; animated GIFs keep their frames."),
    ("text/vcard", "Contact card (vCard)", True, "Accepted by carriers; up to 600 KB."),
    ("image/webp", "WebP picture", False, "Not shown by many handsets over MMS."),
]


def seed(apps, schema_editor):
    MediaType = apps.get_model("media", "MediaType")
    for content_type, label, allowed, note in TYPES:
        MediaType.objects.get_or_create(
            content_type=content_type,
            defaults={"label": label, "is_allowed": allowed, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("media", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
