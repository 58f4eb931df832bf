import importlib

from accounts.roles import Cap
from tests.sweep import Rule

LEGAL = "the platform's published policies are public, as the law expects"


def _shipped(business, **kwargs) -> dict:
    """The first versions come from a data migration that a transactional test may have
    flushed; put them back (with the migration's own loader) before asking for a page."""
    from django.apps import apps

    from policies.models import PolicyDocument

    if not PolicyDocument.objects.filter(version="1.0").exists():
        importlib.import_module("policies.migrations.0004_load_documents").load(apps, None)
    return kwargs


RULES = {
    "governance:legal-privacy": Rule("public", reason=LEGAL, kwargs=_shipped),
    "governance:legal-sms": Rule("public", reason=LEGAL, kwargs=_shipped),
    "governance:legal-terms": Rule("public", reason=LEGAL, kwargs=_shipped),
    "governance:legal-version": Rule(
        "public",
        reason=LEGAL,
        kwargs=lambda b: _shipped(b, kind="terms", version="1.0"),
    ),
    "governance:accept": Rule("portal", cap=Cap.VIEW),
    "governance:compliance": Rule("portal", cap=Cap.VIEW),
}
