"""The register of personal data: every field that may hold some has its rules."""

import pytest

from accounts.privacy import inventory


def test_every_personal_field_has_erasure_export_and_retention():
    assert inventory.gaps() == []


def test_introspection_finds_the_copies_the_review_named():
    suspects = set(inventory.suspects())
    for field in (
        "consent.ContactImport.content",
        "events.WebhookDelivery.payload",
        "public.AppointmentRequest.email",
        "public.AppointmentRequest.phone",
        "public.SupportRequest.body",
        "consent.ConsentEvidence.ip",
        "consent.ConsentEvidence.user_agent",
        "sessions.Session.session_data",
    ):
        assert field in suspects
        assert field in inventory.personal_fields(), field


@pytest.mark.parametrize(
    "field", ["consent.ContactImport.content", "events.WebhookDelivery.payload"]
)
def test_a_personal_field_without_a_declaration_is_named(monkeypatch, field):
    model, name = field.rsplit(".", 1)
    kept = [e for e in inventory.entries() if not (e.model == model and name in e.fields)]
    monkeypatch.setattr(inventory, "_entries", kept)
    assert f"{field}: no erasure and retention rule declared" in inventory.gaps()


def test_a_retention_rule_that_is_not_registered_is_named(monkeypatch):
    monkeypatch.setattr(inventory, "_entries", inventory.entries())
    inventory.declare(
        "public.SupportRequest",
        ["body"],
        erasure="x",
        export="x",
        retention="support requests burnt after a while",
    )
    inventory.declare(
        "public.SupportRequest", ["nope"], erasure="x", export="x", retention="kept: x"
    )
    gaps = inventory.gaps()
    assert any("'support requests burnt after a while' is not registered" in g for g in gaps)
    assert "public.SupportRequest.nope: no such field" in gaps


def test_personal_data_needs_all_three_rules():
    with pytest.raises(ValueError):
        inventory.declare("public.SupportRequest", ["body"], erasure="x", export="", retention="x")
