"""Every portal form field has a label people read, not its raw name ("Terms url",
"Double opt in", "Scope kind" were on screen once): set on the form field, in the form's
Meta.labels, or as the model field's verbose_name."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from django import forms

from tests.factories.consent import OptInFormFactory

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ("accounts", "campaigns", "consent", "messaging", "policies")
RAW_WORDS = re.compile(r"\b(url|Url|optin|Optin|optout|Optout|usecases?|Usecases?|id|Id)\b")


def _form_classes():
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("forms.py")):
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                    found.append(cls)
    return found


FORMS = _form_classes()


def _explicit(cls, name: str, field) -> bool:
    if field.label is None:
        return False
    if name in cls.__dict__.get("declared_fields", {}) and cls.declared_fields[name].label:
        return True
    meta = getattr(cls, "_meta", None)
    if meta is not None and getattr(meta, "model", None) is not None:
        if name in (meta.labels or {}):
            return True
        model_field = meta.model._meta.get_field(name)
        return model_field.verbose_name != name.replace("_", " ")
    return True  # a plain form's field with a label given


def test_the_portal_forms_are_found():
    names = {cls.__name__ for cls in FORMS}
    assert {"OptInFormForm", "CampaignForm", "BrandForm", "ComposeForm", "SignupForm"} <= names


@pytest.mark.parametrize("cls", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_visible_field_has_a_human_label(cls):
    bad = []
    for name, field in cls.base_fields.items():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        if not _explicit(cls, name, field) or RAW_WORDS.search(str(field.label)):
            bad.append(f"{name}: {field.label!r}")
    assert not bad, bad


@pytest.mark.django_db
def test_the_opt_in_form_names_its_sites_the_same_everywhere(owner_client, owner):
    optin = OptInFormFactory(business=owner.business, allowed_origins=["https://a.example"])
    for url in ("/app/forms/", "/app/forms/new/", f"/app/forms/{optin.uuid}/"):
        html = owner_client.get(url).content.decode()
        assert "Sites allowed" in html, url
        assert "llowed origins" not in html, url
    html = owner_client.get("/app/forms/new/").content.decode()
    for label in ("Terms page address", "Kind of messages", "Ask them to confirm by text"):
        assert label in html
    for raw in ("Terms url", "Scope kind", "Double opt in"):
        assert raw not in html
