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


def test_a_number_expected_new_that_exists_is_found_without_breaking_the_transaction(
    business,
):
    # the public form inserts first (ON CONFLICT DO NOTHING: no savepoint) and reads only on
    # a clash; the caller's transaction stays usable after it
    existing, _ = services.contact_get_or_create(
        business=business, phone="+14158675310", name="Ana", email="ana@example.com"
    )
    with transaction.atomic():
        again, created = services.contact_get_or_create(
            business=business, phone="(415) 867-5310", name="Other", expect_new=True
        )
        assert not created and again.pk == existing.pk
        assert again.name == "Ana" and again.email == "ana@example.com"  # the row as stored
        fresh, created = services.contact_get_or_create(
            business=business, phone="+14158675311", name="Bo", tags="a, b", expect_new=True
        )
    assert created
    stored = type(fresh).objects.get(pk=fresh.pk)
    assert (stored.uuid, stored.name, stored.tags, stored.time_zone, stored.source) == (
        fresh.uuid,
        "Bo",
        ["a", "b"],
        "America/Los_Angeles",
        "",
    )
    assert stored.phone_e164 == "+14158675311" and stored.created_at == fresh.created_at


def test_a_form_with_two_campaigns_chains_two_pending_events_for_a_new_contact(client, business):
    # a new contact's opt-ins take the chain head once, read no state, and write the same
    # events and states as consent_record_opt_in would
    from consent.verify import derived_differences
    from tests.factories.consent import OptInFormFactory

    first, second = CampaignFactory(business=business), CampaignFactory(business=business)
    form = OptInFormFactory(business=business, campaigns=[first, second])
    contact, events = services.optin_form_submit(
        form=form,
        phone="3125550190",
        consent=True,
        age_confirmed=True,
        ip="203.0.113.9",
        user_agent="test",
        page_url=form.allowed_origins[0],
        snapshot_sha256="",
    )
    assert [e.was_created for e in events] == [True, True]
    assert [e.seq for e in events] == [events[0].seq, events[0].seq + 1]
    assert events[1].prev_hash == events[0].hash
    assert {e.campaign_id for e in events} == {first.pk, second.pk}
    states = ConsentState.objects.filter(contact=contact).order_by("event_seq")
    assert [(s.status, s.last_event_id) for s in states] == [
        (ConsentState.Status.PENDING, e.pk) for e in events
    ]
    assert selectors.ledger_verify(business=business).ok
    assert derived_differences(business=business) == []
    # the same number again: the existing contact's path, nothing appended
    again, repeat = services.optin_form_submit(
        form=form,
        phone="+1 312 555 0190",
        consent=True,
        age_confirmed=True,
        ip="203.0.113.9",
        user_agent="test",
        page_url=form.allowed_origins[0],
        snapshot_sha256="",
    )
    assert again.pk == contact.pk and [e.was_created for e in repeat] == [False, False]
    assert ConsentEvent.objects.filter(contact=contact).count() == 2


def test_a_suppressed_number_new_to_the_business_still_asks_for_its_yes(business):
    # a contact created in this transaction has no state, but its number may be suppressed
    # (erased before): a form without double opt-in still records a pending opt-in
    from tests.factories.consent import OptInFormFactory

    campaign = CampaignFactory(business=business)
    old = opted_in_contact(business=business, campaign=campaign)
    phone = old.phone_e164
    services.contact_erase(business=business, contact=old)
    form = OptInFormFactory(business=business, campaigns=[campaign], double_opt_in=False)
    contact, events = services.optin_form_submit(
        form=form,
        phone=phone,
        consent=True,
        age_confirmed=True,
        ip="203.0.113.9",
        user_agent="test",
        page_url=form.allowed_origins[0],
        snapshot_sha256="",
    )
    assert contact.pk != old.pk
    assert [(e.kind, e.was_created) for e in events] == [("OPT_IN", True)]


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


def test_consent_check_is_one_statement_with_the_suppression_in_it(
    business, django_assert_num_queries
):
    """A cost test: the state rows and the suppression list in one statement (the gate's
    decisions are the other tests'); a contact with no state row asks the list apart."""
    campaign = CampaignFactory(business=business)
    contact = opted_in_contact(business=business, campaign=campaign)
    with django_assert_num_queries(1):
        assert check(business, contact, campaign=campaign) == "ok"
    services.consent_record_opt_out(
        business=business, contact=contact, method=Method.KEYWORD, scope_all=True
    )
    with django_assert_num_queries(1):
        assert check(business, contact, campaign=campaign) == "opted_out"
    stranger = ContactFactory(business=business)
    with django_assert_num_queries(2):
        assert check(business, stranger, campaign=campaign) == "no_consent"


# --- guards: another business's objects, erased contacts, bad input ----------------------


def _ledger_counts():
    from accounts.models import AuditEvent

    return (
        ConsentEvent.objects.count(),
        ConsentState.objects.count(),
        Suppression.objects.count(),
        AuditEvent.objects.count(),
    )


FOREIGN_CALLS = {
    "update another's contact": lambda b, own, other: services.contact_update(
        business=b, contact=other["contact"], name="Hijack"
    ),
    "opt in another's contact": lambda b, own, other: services.consent_record_opt_in(
        business=b,
        contact=other["contact"],
        method=Method.API,
        kind="marketing",
        evidence=EVIDENCE,
        double_opt_in=False,
    ),
    "opt in to another's campaign": lambda b, own, other: services.consent_record_opt_in(
        business=b,
        contact=own["contact"],
        method=Method.API,
        campaign=other["campaign"],
        evidence=EVIDENCE,
        double_opt_in=False,
    ),
    "opt out another's contact": lambda b, own, other: services.consent_record_opt_out(
        business=b, contact=other["contact"], method=Method.API, scope_all=True
    ),
    "opt out of another's campaign": lambda b, own, other: services.consent_record_opt_out(
        business=b,
        contact=own["contact"],
        method=Method.API,
        scope_all=False,
        campaign=other["campaign"],
    ),
    "START from another's contact": lambda b, own, other: services.consent_record_reply_opt_in(
        business=b, contact=other["contact"], evidence={}
    ),
    "START for another's campaign": lambda b, own, other: services.consent_record_reply_opt_in(
        business=b, contact=own["contact"], campaign=other["campaign"], evidence={}
    ),
    "erase another's contact": lambda b, own, other: services.contact_erase(
        business=b, contact=other["contact"]
    ),
    "form for another's campaign": lambda b, own, other: services.optin_form_create(
        business=b,
        campaigns=[other["campaign"]],
        name="Join",
        program_name="Smile",
        message_description="reminders",
        terms_url="https://brightsmile.example/terms",
        privacy_url="https://brightsmile.example/privacy",
    ),
    "edit another's form": lambda b, own, other: services.optin_form_update(
        business=b, form=other["form"], name="Hijack"
    ),
}


@pytest.mark.parametrize("call", FOREIGN_CALLS.values(), ids=FOREIGN_CALLS.keys())
def test_another_business_object_is_not_found_and_nothing_is_written(
    business, other_business, call
):
    from accounts.errors import NotFound
    from tests.factories.consent import OptInFormFactory

    own = {"contact": opted_in_contact(business=business, kind="marketing")}
    other = {
        "contact": ContactFactory(business=other_business, name="Theirs"),
        "campaign": CampaignFactory(business=other_business),
        "form": OptInFormFactory(business=other_business, name="Theirs"),
    }
    before = _ledger_counts()
    with pytest.raises(NotFound):
        call(business, own, other)
    assert _ledger_counts() == before
    other["contact"].refresh_from_db()
    other["form"].refresh_from_db()
    assert other["contact"].name == "Theirs" and other["contact"].erased_at is None
    assert other["form"].name == "Theirs" and other["form"].version == 1


def test_form_edit_with_another_business_campaign_changes_nothing(business, other_business):
    from accounts.errors import NotFound
    from tests.factories.consent import OptInFormFactory

    form = OptInFormFactory(business=business, name="Ours")
    with pytest.raises(NotFound):
        services.optin_form_update(
            business=business,
            form=form,
            name="Changed",
            campaigns=[CampaignFactory(business=other_business)],
        )
    form.refresh_from_db()
    assert (form.name, form.version) == ("Ours", 1)
    assert list(form.campaigns.all()) == []


ERASED_CALLS = {
    "update": lambda b, c: services.contact_update(business=b, contact=c, name="Back"),
    "opt in": lambda b, c: services.consent_record_opt_in(
        business=b,
        contact=c,
        method=Method.API,
        kind="marketing",
        evidence=EVIDENCE,
        double_opt_in=False,
    ),
    "opt out": lambda b, c: services.consent_record_opt_out(
        business=b, contact=c, method=Method.API, scope_all=True
    ),
    "START": lambda b, c: services.consent_record_reply_opt_in(business=b, contact=c, evidence={}),
}


@pytest.mark.parametrize("call", ERASED_CALLS.values(), ids=ERASED_CALLS.keys())
def test_erased_contact_is_a_conflict_and_nothing_is_written(business, call):
    from consent.errors import ContactErased

    contact = ContactFactory(business=business)
    services.contact_erase(business=business, contact=contact)
    before = _ledger_counts()
    with pytest.raises(ContactErased) as exc:
        call(business, contact)
    assert exc.value.status_code == 409
    assert _ledger_counts() == before


def test_erasing_twice_changes_nothing_the_second_time(business):
    contact = ContactFactory(business=business)
    first = services.contact_erase(business=business, contact=contact)
    before = _ledger_counts()
    again = services.contact_erase(business=business, contact=contact)
    assert again.erased_at == first.erased_at
    assert _ledger_counts() == before  # no second audit entry, no second suppression


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"method": "CARRIER_PIGEON", "kind": "marketing"}, "method"),
        ({"method": Method.API}, "campaign"),  # neither a campaign nor a kind
        ({"method": Method.API, "kind": "transactional"}, "campaign"),
        (
            {"method": Method.API, "kind": "marketing", "consented_at": "last Tuesday"},
            "consented_at",
        ),
    ],
)
def test_opt_in_input_errors_name_the_field_and_write_nothing(business, kwargs, field):
    from accounts.errors import ValidationFailed

    contact = ContactFactory(business=business)
    evidence = {**EVIDENCE}
    if "consented_at" in kwargs:
        evidence["consented_at"] = kwargs.pop("consented_at")
    before = _ledger_counts()
    with pytest.raises(ValidationFailed) as exc:
        services.consent_record_opt_in(
            business=business, contact=contact, evidence=evidence, double_opt_in=False, **kwargs
        )
    assert field in exc.value.fields
    assert _ledger_counts() == before


def test_verbal_opt_in_needs_the_script(business):
    contact = ContactFactory(business=business)
    with pytest.raises(EvidenceMissing) as exc:
        services.consent_record_opt_in(
            business=business,
            contact=contact,
            method=Method.VERBAL_SCRIPT,
            kind="marketing",
            evidence={"source": "phone call"},
            double_opt_in=False,
        )
    assert "evidence" in exc.value.fields
    assert not ConsentEvent.objects.filter(contact=contact).exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-01-05", "2026-01-05T00:00:00+00:00"),  # a date alone: midnight UTC
        ("2026-01-05T09:30:00", "2026-01-05T09:30:00+00:00"),  # naive: read as UTC
        ("2026-01-05T09:30:00-05:00", "2026-01-05T14:30:00+00:00"),
    ],
)
def test_consented_at_is_stored_in_utc(business, given, stored):
    event = services.consent_record_opt_in(
        business=business,
        contact=ContactFactory(business=business),
        method=Method.API,
        kind="marketing",
        evidence={**EVIDENCE, "consented_at": given},
        double_opt_in=False,
    )
    event.refresh_from_db()
    assert event.consented_at.isoformat() == stored
    assert selectors.ledger_verify(business=business).ok


def test_custom_fields_must_be_an_object(business):
    from accounts.errors import ValidationFailed

    contact = ContactFactory(business=business, custom_fields={"store": "Main"})
    with pytest.raises(ValidationFailed) as exc:
        services.contact_update(business=business, contact=contact, custom_fields=["Main"])
    assert "custom_fields" in exc.value.fields
    contact.refresh_from_db()
    assert contact.custom_fields == {"store": "Main"}


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"campaign": None, "kind": "marketing"}, "k:marketing"),
        ({}, "all"),
    ],
)
def test_scope_keys(kwargs, key):
    assert services.scope_key(**kwargs) == key


FORM = {
    "name": "Join",
    "program_name": "Smile Alerts",
    "message_description": "reminders",
    "terms_url": "https://brightsmile.example/terms",
    "privacy_url": "https://brightsmile.example/privacy",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"allowed_origins": "https://brightsmile.example/join"}, "allowed_origins"),  # a path
        ({"allowed_origins": ["ftp://brightsmile.example"]}, "allowed_origins"),
        ({"scope_kind": "transactional"}, "scope_kind"),
        ({"program_name": "  "}, "program_name"),
        ({"terms_url": "brightsmile.example/terms"}, "terms_url"),
        ({"name": ""}, "name"),
    ],
)
def test_form_create_names_the_wrong_field_and_writes_nothing(business, change, field):
    from accounts.errors import ValidationFailed
    from consent.models import OptInForm

    with pytest.raises(ValidationFailed) as exc:
        services.optin_form_create(business=business, **{**FORM, **change})
    assert field in exc.value.fields
    assert not OptInForm.objects.exists()


def test_form_origins_are_normalised_and_the_extra_text_capped(business):
    form = services.optin_form_create(
        business=business,
        allowed_origins="https://BrightSmile.example, https://brightsmile.example:8443/",
        disclosure_extra="x" * 2000,
        **FORM,
    )
    assert form.allowed_origins == [
        "https://brightsmile.example",
        "https://brightsmile.example:8443",
    ]
    assert len(form.disclosure_extra) == 1000


def test_rate_limit_counts_attempts_in_a_window_that_expires(settings):
    """The public form's limiter on the configured cache (Redis in CI): the limit's worth of
    attempts pass, the next is refused, the window's counter expires by itself, and a
    window that has ended starts counting again."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from consent import ratelimit

    assert [ratelimit.hit("window", "3/60") for _ in range(4)] == [True, True, True, False]
    assert ratelimit.hit("other", "3/60") is True  # each key counts on its own
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        name = cache.make_and_validate_key("consent:rl:window")
        client = cache._cache.get_client(name)
        assert 0 < client.ttl(name) <= 60  # it expires, never lives on
        client.expire(name, 1)
        assert ratelimit.hit("window", "3/60") is False  # a later attempt does not extend it
        assert client.ttl(name) <= 1
    cache.delete("consent:rl:window")  # the window ends
    assert ratelimit.hit("window", "3/60") is True


def test_rate_limit_counter_that_expires_between_add_and_incr_starts_again(monkeypatch, settings):
    """Without Redis (local memory): a window ending mid-call counts as a fresh window."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import caches

    from consent import ratelimit

    cache = caches["default"]
    assert ratelimit.hit("race", "1/60") is True
    assert ratelimit.hit("race", "1/60") is False
    real_add = cache.add
    calls = []

    def add_after_expiry(key, *args, **kwargs):
        calls.append(key)
        if len(calls) == 1:  # the key still existed here ...
            cache.delete(key)  # ... and expires before the incr
            return False
        return real_add(key, *args, **kwargs)

    monkeypatch.setattr(cache, "add", add_after_expiry)
    assert ratelimit.hit("race", "1/60") is True
    assert len(calls) == 2
    monkeypatch.undo()
    assert ratelimit.hit("race", "1/60") is False
