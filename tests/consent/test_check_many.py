"""consent_check_many gives exactly consent_check's answers, for every kind of contact and
question, in a fixed number of queries."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent import selectors, services
from consent.models import Method
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import DISCLOSURE, ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db

# a web form's record (page, disclosure, the person's IP): written consent
EVIDENCE = {
    "disclosure_text": DISCLOSURE,
    "page_url": "https://example.com/join",
    "ip": "203.0.113.9",
}


def _population(business, other_business):
    a = CampaignFactory(business=business)
    b = CampaignFactory(business=business)
    people = {
        "stranger": ContactFactory(business=business),
        "in_a": opted_in_contact(business=business, campaign=a),
        "in_info": opted_in_contact(business=business, kind="informational"),
        "in_marketing_kind": opted_in_contact(business=business, kind="marketing"),
        "other_business": ContactFactory(business=other_business),
    }
    pending = ContactFactory(business=business)
    services.consent_record_opt_in(
        business=business,
        contact=pending,
        method=Method.WEB_FORM,
        campaign=a,
        evidence=EVIDENCE,
        double_opt_in=True,
    )
    people["pending_a"] = pending
    out_a = opted_in_contact(business=business, campaign=a)
    services.consent_record_opt_out(
        business=business, contact=out_a, method=Method.KEYWORD, scope_all=False, campaign=a
    )
    people["out_a_in_b"] = out_a
    services.consent_record_opt_in(
        business=business,
        contact=out_a,
        method=Method.API,
        campaign=b,
        evidence=EVIDENCE,
        double_opt_in=False,
    )
    stopall = opted_in_contact(business=business, campaign=a)
    services.consent_record_opt_out(
        business=business, contact=stopall, method=Method.KEYWORD, scope_all=True
    )
    people["stopall"] = stopall
    talker = ContactFactory(business=business)
    services.contact_record_inbound(business=business, contact=talker)
    people["texted_in"] = talker
    erased = opted_in_contact(business=business, campaign=a)
    services.contact_erase(business=business, contact=erased)
    erased.refresh_from_db()
    people["erased"] = erased
    # a number that said STOP, was erased, and came back as a new contact: still suppressed
    gone = opted_in_contact(business=business, campaign=a)
    phone = gone.phone_e164
    services.consent_record_opt_out(
        business=business, contact=gone, method=Method.KEYWORD, scope_all=True
    )
    services.contact_erase(business=business, contact=gone)
    people["back_after_erasure"] = ContactFactory(business=business, phone=phone)
    return people, [None, a, b]


def test_batch_answers_equal_single_answers(business, other_business):
    people, campaigns = _population(business, other_business)
    queries = [
        selectors.ConsentQuery(contact, kind, campaign, is_reply, purpose)
        for contact, kind, campaign, is_reply, purpose in itertools.product(
            people.values(),
            ["marketing", "informational", "transactional", "conversational"],
            campaigns,
            [False, True],
            ["", "double_opt_in", "opt_out_confirmation"],
        )
    ]
    batch = selectors.consent_check_many(business=business, queries=queries)
    single = [
        selectors.consent_check(
            business=business,
            contact=q.contact,
            kind=q.kind,
            campaign=q.campaign,
            is_reply=q.is_reply,
            purpose=q.purpose,
        )
        for q in queries
    ]
    assert batch == single
    # the drain passes the number it will text (the message's to_phone): same answers
    with_phone = selectors.consent_check_many(
        business=business,
        queries=[
            selectors.ConsentQuery(
                q.contact, q.kind, q.campaign, q.is_reply, q.purpose, q.contact.phone_e164
            )
            for q in queries
        ],
    )
    assert with_phone == single
    codes = {d.code for d in batch}
    # the population really covers the rules (else equality would prove little)
    assert {
        "ok",
        "no_consent",
        "opted_out",
        "suppressed",
        "pending_double_opt_in",
        "conversation_only",
    } <= codes


def test_batch_is_two_queries_whatever_its_size(business, other_business):
    people, campaigns = _population(business, other_business)
    queries = [selectors.ConsentQuery(c, "marketing", campaigns[1]) for c in people.values()] * 20
    with CaptureQueriesContext(connection) as ctx:
        decisions = selectors.consent_check_many(business=business, queries=queries)
    assert len(decisions) == len(queries)
    assert len(ctx.captured_queries) == 2


def test_suppression_is_checked_for_the_number_texted(business, other_business):
    people, campaigns = _population(business, other_business)
    suppressed_number = people["back_after_erasure"].phone_e164
    fine = people["in_a"]
    [as_stored, as_texted] = selectors.consent_check_many(
        business=business,
        queries=[
            selectors.ConsentQuery(fine, "marketing", campaigns[1]),
            selectors.ConsentQuery(fine, "marketing", campaigns[1], phone=suppressed_number),
        ],
    )
    assert as_stored.code == "ok" and as_texted.code == "suppressed"
