"""Opt-in forms saved before the origin check (security review 2) may still hold allowed
origins the form would refuse today (a path, ``*``, ``a.example; script-src *``): they go
into the form page's Content-Security-Policy. Each entry goes through the form's own
validator (consent.inputs.origin_normalize): valid ones are kept, normalised as the form
would save them, invalid ones are dropped, and how many is logged."""

import logging

from django.db import migrations

from consent.inputs import origin_normalize

logger = logging.getLogger("consent.migrations")


def drop_invalid_origins(apps, schema_editor) -> int:
    OptInForm = apps.get_model("consent", "OptInForm")
    dropped = 0
    forms = 0
    for form in OptInForm.objects.exclude(allowed_origins=[]).only("pk", "allowed_origins"):
        stored = form.allowed_origins if isinstance(form.allowed_origins, list) else [None]
        kept = []
        for origin in stored:
            try:
                kept.append(origin_normalize(origin) if isinstance(origin, str) else None)
            except ValueError:
                kept.append(None)
        valid = sorted({o for o in kept if o})
        bad = sum(1 for o in kept if o is None)
        if valid != form.allowed_origins:
            OptInForm.objects.filter(pk=form.pk).update(allowed_origins=valid)
        if bad:
            dropped += bad
            forms += 1
    logger.warning("dropped %d invalid allowed origins from %d opt-in forms", dropped, forms)
    return dropped


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0006_optin_form_sites_allowed_label"),
    ]

    operations = [migrations.RunPython(drop_invalid_origins, migrations.RunPython.noop)]
