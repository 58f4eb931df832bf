"""The data migration that drops allowed origins the opt-in form would refuse today
(security review 2), with the form's own validator."""

import importlib
import logging

from django.apps import apps

from consent.models import OptInForm
from tests.factories.consent import OptInFormFactory

migration = importlib.import_module("consent.migrations.0007_optin_form_drop_invalid_origins")


def test_invalid_origins_are_dropped_and_counted(business, caplog):
    bad = OptInFormFactory(business=business)
    good = OptInFormFactory(business=business)
    # saved straight to the table, as forms were before the origin check
    OptInForm.objects.filter(pk=bad.pk).update(
        allowed_origins=[
            "https://shop.example.com",
            "HTTPS://Www.Example.com",
            "*",
            "https://a.example; script-src *",
            "https://example.com/path",
            42,
        ]
    )
    OptInForm.objects.filter(pk=good.pk).update(allowed_origins=["https://ok.example.com"])
    with caplog.at_level(logging.WARNING, logger="consent.migrations"):
        dropped = migration.drop_invalid_origins(apps, None)
    assert dropped == 4
    assert "dropped 4 invalid allowed origins from 1 opt-in forms" in caplog.text
    bad.refresh_from_db()
    good.refresh_from_db()
    assert bad.allowed_origins == ["https://shop.example.com", "https://www.example.com"]
    assert good.allowed_origins == ["https://ok.example.com"]
