"""The register of personal data: every model field that holds it, with its rules.

Each app declares its own fields from ``AppConfig.ready()``:

    from accounts.privacy import inventory
    inventory.declare(
        "consent.ContactImport", ["content"],
        erasure="the person's rows cut from the file (consent.privacy)",
        export="the person's rows, section imports of the contact export",
        retention="import files deleted after RETENTION_IMPORT_FILE_DAYS",
    )

``retention`` names a rule registered in ``accounts.privacy.retention`` or starts with
``"kept: "`` and says why the data stays. Fields that look personal but are not are
declared with ``not_personal(model, fields, reason)``. ``suspects()`` finds by
introspection every field that may hold personal data (by type and by name);
``gaps()`` lists those no declaration covers and declarations whose retention rule is
not registered: tests/privacy/test_inventory.py fails on either.
"""

import re
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from . import retention

KEPT = "kept: "

# Field names that usually hold a person's data, as whole words of the name.
PERSONAL_NAME = re.compile(
    r"(^|_)(phone|e164|mobile|email|name|body|content|payload|ip|user_agent|note|answer|"
    r"address|street|data|text|html|message|detail|repr|label|url|times|username)(_|$)"
)
PERSONAL_TYPES = (
    models.JSONField,
    models.FileField,
    models.BinaryField,
    models.GenericIPAddressField,
    models.EmailField,
)


@dataclass(frozen=True)
class Entry:
    model: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    erasure: str
    export: str
    retention: str

    @property
    def personal(self) -> bool:
        return bool(self.erasure)


_entries: list[Entry] = []


def declare(model: str, fields: list[str], *, erasure: str, export: str, retention: str) -> None:
    """Declare ``fields`` of ``model`` personal data, with how each right is served."""
    if not (erasure and export and retention):
        raise ValueError(f"{model}: personal data needs its erasure, export and retention")
    _entries.append(Entry(model, tuple(fields), erasure, export, retention))


def not_personal(model: str, fields: list[str], *, reason: str) -> None:
    """Declare fields that look personal (by name or type) but hold no personal data."""
    _entries.append(Entry(model, tuple(fields), "", "", KEPT + reason))


def entries() -> list[Entry]:
    return list(_entries)


def personal_fields() -> dict[str, Entry]:
    """``"app.Model.field"`` → its declaration (the personal ones only)."""
    return {f"{e.model}.{f}": e for e in _entries if e.personal for f in e.fields}


def suspects() -> list[str]:
    """Every concrete field of every installed model that may hold personal data."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation:
                continue
            textual = isinstance(field, models.CharField | models.TextField)
            if isinstance(field, PERSONAL_TYPES) or (textual and PERSONAL_NAME.search(field.name)):
                found.append(f"{model._meta.label}.{field.name}")
    return sorted(found)


def gaps() -> list[str]:
    """What the register misses: undeclared suspects, unknown fields, unregistered rules."""
    declared = {f"{e.model}.{f}" for e in _entries for f in e.fields}
    problems = [f"{s}: no erasure and retention rule declared" for s in suspects()]
    problems = [p for p in problems if p.split(":")[0] not in declared]
    rules = set(retention.rule_names())
    installed = {m._meta.label: m for m in apps.get_models()}
    for e in _entries:
        model = installed.get(e.model)
        if model is None:
            problems.append(f"{e.model}: no such model")
            continue
        names = {f.name for f in model._meta.concrete_fields}
        problems += [f"{e.model}.{f}: no such field" for f in e.fields if f not in names]
        if not e.retention.startswith(KEPT) and e.retention not in rules:
            problems.append(f"{e.model}: retention rule {e.retention!r} is not registered")
    return problems
