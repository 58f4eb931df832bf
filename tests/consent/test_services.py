"""The ledger, its state and the consent decision, through the services."""

import pytest
from django.db import DatabaseError, connection, transaction

from consent import selectors, services
from consent.errors import EvidenceMissing, PhoneSuppressed
from consent.models import ConsentEvent, ConsentState, Method, Suppression
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import DISCLOSURE, ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db

EVIDENCE = {
    "disclosure_text": DISCLOSURE,
    "page_url": "https://example.com/join",
    "ip": "203.0.113.9",
}


def check(business, contact, kind="marketing", campaign=None, **kw):
    return selectors.consent_check(
        business=business, contact=contact, kind=kind, campaign=campaign, **kw
    ).code


def test_contact_get_or_create_normalises_and_derives_time_zone(business):
    contact, created = services.contact_get_or_create(business=business, phone="(415) 867-5309")
    assert created and contact.phone_e164 == "+14158675309"
    assert contact.time_zone == "America/Los_Angeles"
    again, created = services.contact_get_or_create(business=business, phone="+1 415 867 5309")
    assert not created and again.pk == contact.pk


def test_bad_phone_is_a_field_error(business):
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.contact_get_or_create(business=business, phone="12345")
    assert "phone" in exc.value.fields


def test_double_opt_in_flow_and_no_duplicates(business):
    campaign = CampaignFactory(business=business)
    contact = ContactFactory(business=business)
    assert check(business, contact, campaign=campaign) == "no_consent"
    pending = services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.WEB_FORM,
        campaign=campaign,
        evidence=EVIDENCE,
        double_opt_in=True,
    )
    assert pending.kind == "OPT_IN" and pending.was_created
    assert check(business, contact, campaign=campaign) == "pending_double_opt_in"
    assert check(business, contact, "transactional", campaign, purpose="double_opt_in") == "ok"
    again = services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.WEB_FORM,
        campaign=campaign,
        evidence=EVIDENCE,
        double_opt_in=True,
    )
    assert again.pk == pending.pk and not again.was_created
    confirmed = services.consent_confirm_double_opt_in(
        business=business, contact=contact, evidence={"source": "YES"}
    )
    assert confirmed.kind == "OPT_IN_CONFIRMED" and confirmed.method == "DOUBLE_OPT_IN_REPLY"
    assert confirmed.disclosure_text == DISCLOSURE
    assert check(business, contact, campaign=campaign) == "ok"
    # re-submission never downgrades a confirmed consent nor adds a row
    before = ConsentEvent.objects.filter(business=business).count()
    resubmit = services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.WEB_FORM,
        campaign=campaign,
        evidence=EVIDENCE,
        double_opt_in=True,
    )
    assert resubmit.pk == confirmed.pk and not resubmit.was_created
    assert ConsentEvent.objects.filter(business=business).count() == before
    assert check(business, contact, campaign=campaign) == "ok"
    assert (
        services.consent_confirm_double_opt_in(business=business, contact=contact, evidence={})
        is None
    )


def test_marketing_needs_consent_for_that_campaign(business):
    a, b = CampaignFactory(business=business), CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=a)
    assert check(business, contact, campaign=a) == "ok"
    assert check(business, contact, campaign=b) == "no_consent"
    # informational on campaign b may rely on... nothing either (no kind-level consent)
    assert check(business, contact, "informational", campaign=b) == "no_consent"


def test_campaign_opt_out_revokes_that_campaign_only(business):
    a, b = CampaignFactory(business=business), CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=a)
    services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.API,
        campaign=b,
        evidence=EVIDENCE,
        double_opt_in=False,
    )
    services.consent_record_opt_out(
        business=business,
        contact=contact,
        method=Method.KEYWORD,
        scope_all=False,
        campaign=a,
        evidence={"source": "STOP"},
    )
    assert check(business, contact, campaign=a) == "opted_out"
    assert check(business, contact, "informational", campaign=a) == "opted_out"
    assert check(business, contact, campaign=b) == "ok"
    assert selectors.is_suppressed(business=business, phone=contact.phone_e164, campaign=a)
    assert not selectors.is_suppressed(business=business, phone=contact.phone_e164)
    # system replies always allowed
    assert check(business, contact, "transactional", a, purpose="opt_out_confirmation") == "ok"


def test_stopall_revokes_everything_and_start_restores(business):
    a = CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=a)
    services.consent_record_opt_out(
        business=business,
        contact=contact,
        method=Method.KEYWORD,
        scope_all=True,
        evidence={"source": "STOPALL"},
    )
    assert check(business, contact, campaign=a) == "opted_out"
    assert check(business, contact, "conversational", is_reply=True) == "opted_out"
    assert selectors.is_suppressed(business=business, phone=contact.phone_e164)
    event = services.consent_record_reply_opt_in(
        business=business, contact=contact, evidence={"source": "START"}
    )
    assert event is not None and event.kind == "OPT_IN_CONFIRMED"
    assert check(business, contact, campaign=a) == "ok"
    assert not selectors.is_suppressed(business=business, phone=contact.phone_e164)
    assert (
        services.consent_record_reply_opt_in(business=business, contact=contact, evidence={})
        is None
    )


def test_conversation_only_for_people_who_texted_in(business):
    contact = ContactFactory(business=business)
    services.contact_record_inbound(business=business, contact=contact)
    assert check(business, contact, "conversational") == "conversation_only"
    assert check(business, contact, "conversational", is_reply=True) == "ok"
    assert check(business, contact, "marketing", is_reply=True) == "conversation_only"


def test_suppressed_number_goes_through_double_opt_in(business):
    contact = opted_in_contact(business=business, kind="marketing")
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    event = services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.API,
        kind="marketing",
        evidence=EVIDENCE,
        double_opt_in=False,
    )
    assert event.kind == "OPT_IN"  # forced pending
    with pytest.raises(PhoneSuppressed):
        services.consent_record_opt_in(
            business=business,
            contact=contact,
            method=Method.IMPORT_ATTESTED,
            kind="informational",
            evidence=EVIDENCE,
            double_opt_in=False,
        )
    services.consent_confirm_double_opt_in(business=business, contact=contact, evidence={})
    assert check(business, contact) == "ok"


def test_evidence_is_required(business):
    contact = ContactFactory(business=business)
    with pytest.raises(EvidenceMissing):
        services.consent_record_opt_in(
            business=business,
            contact=contact,
            method=Method.API,
            kind="marketing",
            evidence={},
            double_opt_in=False,
        )


def test_erasure_keeps_suppression_and_ledger(business):
    contact = opted_in_contact(business=business, kind="marketing", phone="+12025550777")
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    count = ConsentEvent.objects.filter(contact=contact).count()
    services.contact_erase(business=business, contact=contact)
    contact.refresh_from_db()
    assert contact.erased_at and contact.phone is None and contact.name == ""
    assert ConsentEvent.objects.filter(contact=contact).count() == count
    assert all(e.evidence.ip is None for e in ConsentEvent.objects.filter(contact=contact))
    assert selectors.is_suppressed(business=business, phone="+12025550777")
    # the number comes back as a new contact: still suppressed, import refused
    again, created = services.contact_get_or_create(business=business, phone="+12025550777")
    assert created
    assert check(business, again) == "suppressed"
    assert Suppression.objects.filter(business=business).count() == 1


def test_ledger_refuses_update_and_delete_in_the_model(business):
    contact = opted_in_contact(business=business, kind="marketing")
    event = ConsentEvent.objects.get(contact=contact)
    event.source = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_ledger_refuses_update_and_delete_in_postgresql(business):
    assert connection.vendor == "postgresql"
    contact = opted_in_contact(business=business, kind="marketing")
    event = ConsentEvent.objects.get(contact=contact)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ConsentEvent.objects.filter(pk=event.pk).update(source="tampered")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM consent_consentevent WHERE id = %s", [event.pk])
    assert ConsentEvent.objects.filter(pk=event.pk, source="factory").exists()


def test_state_is_written_with_the_event(business):
    campaign = CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=campaign)
    state = ConsentState.objects.get(contact=contact)
    assert state.scope_key == f"c:{campaign.uuid}" and state.status == "OPTED_IN"
    assert state.last_event.contact_id == contact.pk


def test_consent_check_is_one_state_query_plus_suppression(business, django_assert_num_queries):
    campaign = CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=campaign)
    with django_assert_num_queries(2):
        assert check(business, contact, campaign=campaign) == "ok"
