"""Reads: the consent decision's edge cases, list filters and the ledger verifier."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent import selectors, services
from consent.models import ConsentEvent, Method
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db


def _pending(business, contact, campaign):
    services.consent_record_opt_in(
        business=business,
        contact=contact,
        method=Method.WEB_FORM,
        campaign=campaign,
        evidence={"source": "web form"},
        double_opt_in=True,
    )


def test_a_yes_for_one_campaign_does_not_undo_stopall_for_the_others(business):
    first, second = CampaignFactory(business=business), CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=second)
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    _pending(business, contact, first)
    services.consent_confirm_double_opt_in(business=business, contact=contact, evidence={})
    # the YES lifted the business-wide suppression for what the person confirmed...
    assert not selectors.is_suppressed(business=business, phone=contact.phone_e164)
    ok = selectors.consent_check(
        business=business, contact=contact, kind="marketing", campaign=first
    )
    assert ok and ok.code == "ok"
    # ...but the other campaign's consent was given before STOPALL and stays revoked
    revoked = selectors.consent_check(
        business=business, contact=contact, kind="marketing", campaign=second
    )
    assert not revoked and revoked.code == "opted_out"


def test_suppressed_business_wide_or_for_the_campaign_asked_and_not_once_lifted(business):
    a, b = CampaignFactory(business=business), CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=a)
    phone = contact.phone_e164

    def asked(campaign=None):
        return selectors.is_suppressed(business=business, phone=phone, campaign=campaign)

    assert (asked(), asked(a), asked(b)) == (False, False, False)
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=False, campaign=a
    )
    assert (asked(), asked(a), asked(b)) == (False, True, False)  # that campaign only
    other = CampaignFactory()  # another business's list says nothing about this one
    assert not selectors.is_suppressed(business=other.business, phone=phone, campaign=other)
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    assert (asked(), asked(a), asked(b)) == (True, True, True)  # business-wide counts for all
    services.consent_record_reply_opt_in(business=business, contact=contact, evidence={})
    assert (asked(), asked(a), asked(b)) == (False, False, False)  # START lifted both


def test_a_number_that_is_not_a_phone_is_not_suppressed(business):
    assert selectors.is_suppressed(business=business, phone="not a number") is False


def test_contact_list_filters_by_consent_status_and_phone_digits(api_client, business):
    campaign = CampaignFactory(business=business)
    opted_in = opted_in_contact(
        business=business, kind="marketing", phone="+13125550401", email="ann@example.com"
    )
    pending = ContactFactory(business=business, phone="+13125550402", email="bo@example.com")
    _pending(business, pending, campaign)
    opted_out = opted_in_contact(
        business=business, kind="marketing", phone="+13125550403", email="cy@example.com"
    )
    services.consent_record_opt_out(
        business=business, contact=opted_out, method=Method.KEYWORD, scope_all=True
    )
    nothing = ContactFactory(
        business=business, phone="+13125550404", name="Zed", email="unit55@example.com"
    )
    url = reverse("api-contacts")

    def uuids(**params):
        return {c["uuid"] for c in api_client.get(url, params).json()["results"]}

    assert uuids(status="opted_in") == {str(opted_in.uuid)}
    assert uuids(status="pending") == {str(pending.uuid)}
    assert uuids(status="opted_out") == {str(opted_out.uuid)}
    assert uuids(status="none") == {str(nothing.uuid)}
    assert uuids(search="(312) 555-0402") == {str(pending.uuid)}
    # fewer than 3 digits: names and emails only: every phone here has 55, one email has
    # (the emails are given: a factory's sequence number may hold 55 too)
    assert uuids(search="55") == {str(nothing.uuid)}


def test_status_summary_of_an_empty_page_is_empty(business):
    contact = opted_in_contact(business=business, kind="marketing")
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    assert selectors.contact_status_summary(business=business, contacts=[]) == {}
    assert selectors.contact_status_summary(business=business, contacts=[contact]) == {
        contact.pk: "opted_out"
    }


def test_an_inactive_form_is_not_found_publicly(client, business):
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business, is_active=False)
    response = client.get(reverse("consent:public-form", kwargs={"form_uuid": form.uuid}))
    assert response.status_code == 404


def _tamper(sql, params):
    with connection.cursor() as cursor:
        # what someone with database access would have to do: bypass the triggers
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        cursor.execute("SET session_replication_role = origin")


def _delete_event(event):
    _tamper("DELETE FROM consent_consentstate WHERE last_event_id = %s", [event.pk])
    _tamper("DELETE FROM consent_consentevidence WHERE event_id = %s", [event.pk])
    _tamper("DELETE FROM consent_consentevent WHERE id = %s", [event.pk])


@pytest.mark.parametrize(
    ("tamper", "broken_seq", "reason"),
    [
        ("delete the second", 2, "event #2 is missing (next found is #3)"),
        ("rewrite a prev_hash", 2, "prev_hash does not match the previous event's hash"),
        ("delete the last", 3, "the chain head says #3, the ledger ends at #2 (rows removed?)"),
    ],
)
def test_ledger_verify_names_the_first_broken_link(business, tamper, broken_seq, reason):
    for _ in range(3):
        opted_in_contact(business=business, kind="marketing")
    assert selectors.ledger_verify(business=business).ok
    events = list(ConsentEvent.objects.filter(business=business).order_by("seq"))
    if tamper == "delete the second":
        _delete_event(events[1])
    elif tamper == "delete the last":
        _delete_event(events[2])
    else:
        _tamper(
            "UPDATE consent_consentevent SET prev_hash = %s WHERE id = %s",
            ["0" * 64, events[1].pk],
        )
    report = selectors.ledger_verify(business=business)
    assert not report.ok
    assert (report.first_broken_seq, report.reason) == (broken_seq, reason)


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_public_form_is_one_statement_with_its_business_and_campaigns(business):
    # issue 18, finding 9: written once per process instead of compiled per request; the
    # same form, business and campaigns (in their order) as the ORM's select_related and
    # prefetch_related, and nothing more is read when they are used
    from consent.models import OptInForm
    from tests.factories.consent import OptInFormFactory

    campaigns = [CampaignFactory(business=business) for _ in range(3)]
    form = OptInFormFactory(
        business=business, campaigns=campaigns, allowed_origins=["https://a.example"]
    )
    OptInFormFactory(business=business, campaigns=campaigns[:1])  # another form's links
    with CaptureQueriesContext(connection) as read:
        found = selectors.optin_form_public(form_uuid=str(form.uuid))
        shown = list(found.campaigns.all())
        owner = found.business
    assert len(read.captured_queries) == 1
    orm = OptInForm.objects.select_related("business").prefetch_related("campaigns").get(pk=form.pk)
    assert _fields(found) == _fields(orm)
    assert found.allowed_origins == ["https://a.example"]  # JSON decoded as the ORM does
    assert _fields(owner) == _fields(orm.business)
    assert [_fields(c) for c in shown] == [_fields(c) for c in orm.campaigns.all()]
    assert len(shown) == 3
    assert not found._state.adding and found.pk == form.pk


@pytest.mark.parametrize("how", ["inactive", "unknown", "not a uuid"])
def test_the_public_form_is_not_found_unless_active_and_known(business, how):
    import uuid

    from accounts.errors import NotFound
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business, is_active=how != "inactive")
    wanted = {"inactive": form.uuid, "unknown": uuid.uuid4(), "not a uuid": "f00"}[how]
    with pytest.raises(NotFound):
        selectors.optin_form_public(form_uuid=wanted)


def test_a_form_without_campaigns_has_none(business):
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business, scope_kind="informational")
    found = selectors.optin_form_public(form_uuid=form.uuid)
    with CaptureQueriesContext(connection) as read:
        assert list(found.campaigns.all()) == []
    assert read.captured_queries == []
