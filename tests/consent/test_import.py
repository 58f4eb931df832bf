"""CSV imports: good, bad and suppressed rows; hostile files; both write paths agree."""

import pytest

from consent import selectors, services
from consent.models import ConsentEvent, ConsentState, Contact, Method
from tests.factories.accounts import LONG_EMAIL
from tests.factories.campaigns import CampaignFactory
from tests.factories.consent import ContactFactory, opted_in_contact

pytestmark = pytest.mark.django_db

HEADER = "Phone,Full name,Email,Tags,Consent date,Consent source,Consent method,Store\n"
MAPPING = {
    "phone": "Phone",
    "name": "Full name",
    "email": "Email",
    "tags": "Tags",
    "consent_date": "Consent date",
    "consent_source": "Consent source",
    "consent_method": "Consent method",
}


def make_csv(*lines: str, header: str = HEADER) -> bytes:
    return (header + "\n".join(lines) + "\n").encode()


def start(business, owner, content, *, campaign=None, use_copy=None, **kw):
    imp = services.contact_import_create(
        business=business, filename="list.csv", content=content, actor=owner.user
    )
    if use_copy is not None:
        # run through the chosen write path explicitly
        from django.test.utils import override_settings

        with override_settings(CONSENT_IMPORT_SYNC_ROWS=-1):
            imp = services.contact_import_start(
                business=business,
                imp=imp,
                mapping=MAPPING,
                custom_columns=["Store"],
                campaign=campaign,
                scope_kind="" if campaign else "marketing",
                attest=True,
                actor=owner.user,
            )
        return services.contact_import_run(import_id=imp.pk, use_copy=use_copy)
    return services.contact_import_start(
        business=business,
        imp=imp,
        mapping=MAPPING,
        custom_columns=["Store"],
        campaign=campaign,
        scope_kind="" if campaign else "marketing",
        attest=True,
        actor=owner.user,
        **kw,
    )


GOOD_BAD_SUPPRESSED = (
    "(202) 555-0101,Ann Lee,ann@example.com,vip;spring,2026-01-15,Front desk paper form,"
    "paper form,Main",
    "+1 202 555 0102,Bob Roe,,,,,,Main",  # no evidence: contact only
    "12345,Bad Phone,,,2026-01-15,x,web_form,Main",  # invalid phone
    "2025550103,Cy,not-an-email,,2026-01-15,x,web_form,Main",  # bad email
    "2025550104,Di,,,2026-01-15,,web_form,Main",  # incomplete evidence
    "2025550105,Ed,,,2030-01-01,x,web_form,Main",  # future
    "2025550106,Fa,,,2026-01-15,x,smoke signals,Main",  # unknown method
    "2025550101,Dup,,,2026-01-15,x,web_form,Main",  # duplicate of line 2
    "2025550199,Gone,,,2026-01-15,Old list,web_form,Main",  # suppressed
    '2025550107,"Hi, there",hi@example.com,,2026-02-01,Website,web_form,"=HYPERLINK(""x"")"',
)


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_good_bad_and_suppressed_rows(business, owner, use_copy):
    campaign = CampaignFactory(business=business)
    gone = opted_in_contact(business=business, campaign=campaign, phone="+12025550199")
    services.consent_record_opt_out(
        business=business, contact=gone, method=Method.KEYWORD, scope_all=True
    )
    services.contact_erase(business=business, contact=gone)
    imp = start(
        business, owner, make_csv(*GOOD_BAD_SUPPRESSED), campaign=campaign, use_copy=use_copy
    )
    assert imp.status == "DONE", imp.error
    report = {r["line"]: r["reason"] for r in imp.report}
    assert "invalid phone" in report[4]
    assert "invalid email" in report[5]
    assert "incomplete consent evidence" in report[6]
    assert "future" in report[7]
    assert "unknown consent method" in report[8]
    assert report[9] == "duplicate of line 2"
    assert "suppressed" in report[10]
    assert set(report) == {4, 5, 6, 7, 8, 9, 10}
    assert (imp.created_count, imp.consented_count, imp.no_evidence_count) == (3, 2, 1)
    assert (imp.suppressed_count, imp.rejected_count) == (1, 6)
    ann = Contact.objects.get(business=business, phone="+12025550101")
    assert ann.name == "Ann Lee" and ann.tags == ["spring", "vip"]
    assert ann.custom_fields == {"Store": "Main"}
    assert ann.time_zone == "America/New_York"
    assert selectors.consent_check(
        business=business, contact=ann, kind="marketing", campaign=campaign
    ).allowed
    event = ConsentEvent.objects.get(contact=ann)
    assert event.method == "IMPORT_ATTESTED" and event.source == "Front desk paper form"
    assert (
        event.evidence.data["line"] == 2 and event.evidence.data["consent_method"] == "PAPER_FORM"
    )
    assert "not bought, rented" in event.disclosure_text
    bob = Contact.objects.get(business=business, phone="+12025550102")
    assert (
        selectors.consent_check(
            business=business, contact=bob, kind="informational", campaign=campaign
        ).code
        == "no_consent"
    )
    assert not Contact.objects.filter(business=business, phone="+12025550199").exists()
    hi = Contact.objects.get(business=business, phone="+12025550107")
    assert hi.name == "Hi, there" and hi.custom_fields["Store"].startswith("=HYPERLINK")
    assert selectors.ledger_verify(business=business).ok


def test_reimport_never_duplicates_confirmed_consent(business, owner):
    campaign = CampaignFactory(business=business)
    content = make_csv("2025550111,Ann,,,2026-01-15,Form,web_form,A")
    start(business, owner, content, campaign=campaign)
    before = ConsentEvent.objects.filter(business=business).count()
    imp = start(
        business,
        owner,
        make_csv("2025550111,Ann B,,new,2026-01-16,Form,web_form,B"),
        campaign=campaign,
    )
    assert imp.status == "DONE" and imp.updated_count == 1 and imp.consented_count == 0
    assert ConsentEvent.objects.filter(business=business).count() == before
    ann = Contact.objects.get(business=business, phone="+12025550111")
    assert ann.name == "Ann B" and ann.tags == ["new"] and ann.custom_fields == {"Store": "B"}
    assert ConsentState.objects.get(contact=ann).status == "OPTED_IN"


def test_existing_contact_keeps_its_data_and_gets_consent(business, owner):
    existing = ContactFactory(business=business, phone="+12025550121", name="Kept", tags=["old"])
    imp = start(business, owner, make_csv("2025550121,,,,2026-01-15,Form,web_form,"))
    assert imp.updated_count == 1 and imp.consented_count == 1
    existing.refresh_from_db()
    assert existing.name == "Kept" and existing.tags == ["old"]
    assert selectors.consent_check(business=business, contact=existing, kind="marketing").allowed


@pytest.mark.parametrize(
    "content,expected",
    [
        (b"", "empty"),
        (b"\xff\xfeP\x00h\x00", "UTF-16"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(business, owner, content, expected):
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.contact_import_create(business=business, filename="x.csv", content=content)
    assert expected in exc.value.message


def test_windows_1252_and_broken_quoting(business, owner):
    content = (
        HEADER
        + "2025550131,Zoë Café,,,2026-01-15,Form,web_form,A\n"
        + '2025550132,"Broken quote,,,2026-01-15,Form,web_form,A\n'
        + "2025550133,After,,,2026-01-15,Form,web_form,A\n"
    ).encode("cp1252")
    imp = start(business, owner, content)
    assert imp.status == "DONE"
    assert Contact.objects.get(business=business, phone="+12025550131").name == "Zoë Café"
    # the unterminated quote swallows the rest: named by its line range, nothing silent
    assert imp.report[0]["line"] == 3 and "unterminated quote" in imp.report[0]["reason"]
    assert imp.created_count + imp.rejected_count == imp.total_rows


def test_attestation_and_mapping_are_required(business, owner):
    from accounts.errors import ValidationFailed

    imp = services.contact_import_create(
        business=business, filename="x.csv", content=make_csv("2025550141,A,,,,,,")
    )
    with pytest.raises(ValidationFailed) as exc:
        services.contact_import_start(
            business=business,
            imp=imp,
            mapping={"name": "Full name", "email": "Nope"},
            scope_kind="marketing",
            attest=False,
        )
    assert {"attest", "phone", "mapping"} <= set(exc.value.fields)


def test_large_import_runs_in_celery_task(business, owner, settings):
    settings.CONSENT_IMPORT_SYNC_ROWS = 1
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery_app import app

    app.conf.task_always_eager = True
    try:
        lines = [f"20255502{i:02d},P{i},,,2026-01-15,Form,web_form,A" for i in range(20)]
        imp = services.contact_import_create(
            business=business, filename="big.csv", content=make_csv(*lines)
        )
        from django.test import TestCase

        with TestCase.captureOnCommitCallbacks(execute=True):
            services.contact_import_start(
                business=business,
                imp=imp,
                mapping=MAPPING,
                scope_kind="informational",
                attest=True,
            )
        imp.refresh_from_db()
        assert imp.status == "DONE" and imp.created_count == 20 and imp.consented_count == 20
    finally:
        app.conf.task_always_eager = False


def _same_import_both_paths(business, other_business, owner, other_owner, content, **kw):
    copy = start(business, owner, content, use_copy=True, **kw)
    orm = start(other_business, other_owner, content, use_copy=False, **kw)
    assert copy.status == orm.status == "DONE", (copy.error, orm.error)
    assert copy.report == orm.report
    return copy, orm


def test_copy_keeps_every_character_and_the_chain_verifies(
    business, other_business, owner, other_owner
):
    # COPY's text format gives tab, newline, backslash and \N a meaning: none may leak
    content = make_csv(
        '2025550151,"Tab\there",a@example.com,"x\\y",2026-01-15,"Desk\t\\N ""A""",web_form,\\N',
        '2025550152,"Line\nbreak",,,2026-01-15,"Café \\ Zoë\r\nB",paper form,"=1+1"',
        "2025550153,\\N,,,,,,",
    )
    copy, _ = _same_import_both_paths(business, other_business, owner, other_owner, content)
    assert (copy.created_count, copy.consented_count, copy.no_evidence_count) == (3, 2, 1)
    for phone in ("+12025550151", "+12025550152", "+12025550153"):
        a = Contact.objects.get(business=business, phone=phone)
        b = Contact.objects.get(business=other_business, phone=phone)
        assert (a.name, a.email, a.tags, a.custom_fields, a.time_zone) == (
            b.name,
            b.email,
            b.tags,
            b.custom_fields,
            b.time_zone,
        )
        assert [e.source for e in a.consent_events.all()] == [
            e.source for e in b.consent_events.all()
        ]
    tab = Contact.objects.get(business=business, phone="+12025550151")
    assert (
        tab.name == "Tab\there" and tab.tags == ["x\\y"] and tab.custom_fields == {"Store": "\\N"}
    )
    assert tab.consent_events.get().source == 'Desk\t\\N "A"'
    assert Contact.objects.get(business=business, phone="+12025550153").name == "\\N"
    for b in (business, other_business):
        assert selectors.ledger_verify(business=b).ok


def test_a_nul_character_is_a_rejected_row_not_a_failed_import(business, owner):
    padding = [f"20255503{i:02d},Person {i},,,2026-01-15,Form,web_form,A" for i in range(90)]
    imp = start(
        business,
        owner,
        make_csv(*padding, "2025550400,Nul\x00name,,,2026-01-15,Form,web_form,A"),
        use_copy=True,
    )
    assert imp.status == "DONE" and imp.consented_count == 90
    assert imp.report == [{"line": 92, "reason": "a field contains a NUL character"}]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_import_confirms_a_pending_double_opt_in(business, owner, use_copy):
    pending = ContactFactory(business=business, phone="+12025550161")
    services.consent_record_opt_in(
        business=business,
        contact=pending,
        method=Method.WEB_FORM,
        kind="marketing",
        evidence={"disclosure_text": "Reply YES", "source": "form"},
        double_opt_in=True,
    )
    assert ConsentState.objects.get(contact=pending).status == "PENDING"
    imp = start(
        business,
        owner,
        make_csv(
            "2025550161,Pat,,,2026-01-15,Front desk,paper form,A",
            "2025550162,New,,,2026-01-15,Front desk,paper form,A",
        ),
        use_copy=use_copy,
    )
    assert (imp.created_count, imp.updated_count, imp.consented_count) == (1, 1, 2)
    state = ConsentState.objects.get(contact=pending)
    event = ConsentEvent.objects.get(contact=pending, method=Method.IMPORT_ATTESTED)
    assert (state.status, state.last_event_id, state.event_seq) == ("OPTED_IN", event.pk, event.seq)
    assert selectors.consent_check(business=business, contact=pending, kind="marketing").allowed
    assert event.evidence.data == {
        "import": str(imp.uuid),
        "line": 2,
        "consent_method": "PAPER_FORM",
    }
    assert selectors.ledger_verify(business=business).ok


@pytest.mark.parametrize("existing", [False, True], ids=["all-new", "some-known"])
def test_a_contact_added_during_the_import_is_merged_not_a_failure(
    business, owner, monkeypatch, existing
):
    """Between finding the existing contacts and inserting the rest, another request adds one
    of the numbers: the import merges into it instead of failing. A business with no contacts
    at the start skips the look-up (nothing to find), so the race comes right after that
    check."""
    from consent.services import importer

    def someone_adds_one():
        ContactFactory(business=business, phone="+12025550172", name="Raced", tags=["web"])

    if existing:
        ContactFactory(business=business, phone="+12025550170", name="Known")
        found = importer._update_existing

        def then_someone_adds_one(cursor, business_, now):
            known = found(cursor, business_, now)
            someone_adds_one()
            return known

        monkeypatch.setattr(importer, "_update_existing", then_someone_adds_one)
    else:
        check = importer._suppressed

        def checked_then_someone_adds_one(imp):
            suppressed = check(imp)
            someone_adds_one()
            return suppressed

        monkeypatch.setattr(importer, "_suppressed", checked_then_someone_adds_one)
    imp = start(
        business,
        owner,
        make_csv(*(f"20255501{i},P{i},,vip,2026-01-15,Form,web_form,A" for i in range(70, 75))),
        use_copy=True,
    )
    assert imp.status == "DONE", imp.error
    assert (imp.created_count, imp.updated_count, imp.consented_count) == (
        3 if existing else 4,
        2 if existing else 1,
        5,
    )
    raced = Contact.objects.get(business=business, phone="+12025550172")
    assert raced.name == "P72" and raced.tags == ["vip", "web"]
    assert raced.consent_events.get().evidence.data["line"] == 4
    assert Contact.objects.filter(business=business).count() == 5
    assert selectors.ledger_verify(business=business).ok


def test_import_rows_are_a_verifiable_chain_that_shows_tampering(business, owner):
    from django.db import connection

    imp = start(
        business,
        owner,
        make_csv(*(f"20255502{i},P{i},,,2026-01-15,Form,web_form,A" for i in range(50, 60))),
        use_copy=True,
    )
    assert imp.consented_count == 10 and selectors.ledger_verify(business=business).ok
    event = ConsentEvent.objects.get(business=business, seq=5)
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            "UPDATE consent_consentevidence SET data = jsonb_set(data, '{line}', '99') "
            "WHERE event_id = %s",
            [event.pk],
        )
        cursor.execute("SET session_replication_role = origin")
    report = selectors.ledger_verify(business=business)
    assert not report.ok and report.first_broken_seq == 5 and "evidence" in report.reason


def test_generated_uuids_are_random_version_4():
    import uuid

    from consent.services import importer

    values = list(importer._uuid4s(2000))
    parsed = [uuid.UUID(v) for v in values]
    assert len(set(values)) == 2000 and [str(u) for u in parsed] == values
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in parsed)


def test_phone_hasher_matches_phone_hash():
    from consent import hashing

    digest = hashing.phone_hasher(b"k" * 32, "biz-uuid")
    for phone in ("+12025550101", "+447700900123"):
        assert digest(phone) == hashing.phone_hash(b"k" * 32, "biz-uuid", phone)


def _queued(business, owner, content):
    """An import mapped and attested, waiting for its task."""
    from django.test.utils import override_settings

    imp = services.contact_import_create(
        business=business, filename="list.csv", content=content, actor=owner.user
    )
    with override_settings(CONSENT_IMPORT_SYNC_ROWS=-1):
        return services.contact_import_start(
            business=business,
            imp=imp,
            mapping=MAPPING,
            custom_columns=["Store"],
            scope_kind="marketing",
            attest=True,
            actor=owner.user,
        )


CHUNKED = [f"20255503{i:02d},P{i},,,2026-01-15,Form,web_form,A" for i in range(30)] + [
    "2025550300,Dup,,,2026-01-15,Form,web_form,A",  # duplicate of a row in the first chunk
    "not a phone,,,,,,,A",
]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_a_file_is_written_chunk_by_chunk_with_progress_and_one_chain(
    business, owner, monkeypatch, use_copy
):
    from consent.services import importer

    monkeypatch.setattr(importer, "CHUNK", 7)
    imp = _queued(business, owner, make_csv(*CHUNKED))
    progress: list[int] = []
    importer.run(imp, use_copy=use_copy, progress=progress.append)
    # after each written chunk: the rows read so far (the last chunk also read the 2 rejected)
    assert progress == [7, 14, 21, 28, 32]
    assert (imp.created_count, imp.consented_count, imp.rejected_count) == (30, 30, 2)
    assert [r["line"] for r in imp.report] == [32, 33]
    assert imp.report[0]["reason"] == "duplicate of line 2"
    seqs = list(
        ConsentEvent.objects.filter(business=business).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 31))
    assert selectors.ledger_verify(business=business).ok


def test_a_failure_in_a_later_chunk_leaves_nothing_of_the_earlier_ones(
    business, owner, monkeypatch
):
    from consent.services import importer

    monkeypatch.setattr(importer, "CHUNK", 7)
    real = importer._write_consents
    calls = []

    def fail_on_the_third_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_consents", fail_on_the_third_chunk)
    imp = _queued(business, owner, make_csv(*CHUNKED))
    imp = services.contact_import_run(import_id=imp.pk)
    assert imp.status == "FAILED" and "nothing was imported" in imp.error
    assert len(calls) == 3
    assert not Contact.objects.filter(business=business).exists()
    assert not ConsentEvent.objects.filter(business=business).exists()


def test_progress_is_reported_while_an_import_runs(api_client, business, owner, monkeypatch):
    from django.urls import reverse

    from consent.services import importer

    monkeypatch.setattr(importer, "CHUNK", 7)
    real = importer._write_consents
    seen = []

    def look_during_the_third_chunk(*args, **kwargs):
        if len(seen) < 3:
            url = reverse("api-import", kwargs={"import_uuid": imp.uuid})
            seen.append(api_client.get(url).json())
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "_write_consents", look_during_the_third_chunk)
    imp = _queued(business, owner, make_csv(*CHUNKED))
    services.contact_import_run(import_id=imp.pk)
    assert [(s["status"], s["processed_rows"]) for s in seen] == [
        ("RUNNING", 0),
        ("RUNNING", 7),
        ("RUNNING", 14),
    ]


def test_running_an_import_twice_imports_once(business, owner):
    imp = _queued(business, owner, make_csv(*CHUNKED[:3]))
    first = services.contact_import_run(import_id=imp.pk)
    assert first.status == "DONE" and first.created_count == 3
    events = ConsentEvent.objects.filter(business=business).count()
    again = services.contact_import_run(import_id=imp.pk)  # a redelivered task
    assert (again.status, again.created_count) == ("DONE", 3)
    assert ConsentEvent.objects.filter(business=business).count() == events


def test_a_file_over_the_size_limit_is_refused(business, owner, settings):
    from accounts.errors import ValidationFailed
    from consent.models import ContactImport

    settings.CONSENT_IMPORT_MAX_BYTES = 64
    with pytest.raises(ValidationFailed) as exc:
        services.contact_import_create(
            business=business, filename="big.csv", content=make_csv(*CHUNKED), actor=owner.user
        )
    assert "file" in exc.value.fields
    assert not ContactImport.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"mapping": {**MAPPING, "shoe_size": "Store"}}, "mapping"),
        ({"scope_kind": ""}, "scope_kind"),
        ({"scope_kind": "transactional"}, "scope_kind"),
    ],
)
def test_import_start_names_the_wrong_field_and_does_not_start(business, owner, change, field):
    from accounts.errors import ValidationFailed

    imp = services.contact_import_create(
        business=business, filename="list.csv", content=make_csv(*CHUNKED[:3]), actor=owner.user
    )
    args = {"mapping": MAPPING, "scope_kind": "marketing", **change}
    with pytest.raises(ValidationFailed) as exc:
        services.contact_import_start(business=business, imp=imp, attest=True, **args)
    assert field in exc.value.fields
    imp.refresh_from_db()
    assert imp.status == "UPLOADED"
    assert not Contact.objects.filter(business=business).exists()


@pytest.mark.parametrize("whose", ["import", "campaign"])
def test_import_start_with_another_business_object_is_not_found(
    business, other_business, owner, whose
):
    from accounts.errors import NotFound

    imp = services.contact_import_create(
        business=business, filename="list.csv", content=make_csv(*CHUNKED[:3]), actor=owner.user
    )
    acting, campaign = business, CampaignFactory(business=other_business)
    if whose == "import":
        acting, campaign = other_business, None
    with pytest.raises(NotFound):
        services.contact_import_start(
            business=acting,
            imp=imp,
            mapping=MAPPING,
            campaign=campaign,
            scope_kind="marketing",
            attest=True,
        )
    imp.refresh_from_db()
    assert imp.status == "UPLOADED"
    assert not Contact.objects.exists()


def test_an_overlong_email_is_a_rejected_row_never_cut_short(business, owner):
    imp = start(
        business,
        owner,
        make_csv(
            f"2025550181,Long,{LONG_EMAIL},,2026-01-15,Form,web_form,A",
            "2025550182,Fine,fine@example.com,,2026-01-15,Form,web_form,A",
        ),
        use_copy=True,
    )
    assert imp.status == "DONE", imp.error
    assert [(r["line"], r["reason"][:13]) for r in imp.report] == [(2, "invalid email")]
    assert list(Contact.objects.filter(business=business).values_list("email", flat=True)) == [
        "fine@example.com"
    ]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "orm"])
def test_a_name_with_a_direction_control_is_a_rejected_row(business, owner, use_copy):
    imp = start(
        business,
        owner,
        make_csv(
            "2025550410,Lee Park,,,2026-01-15,Form,web_form,A",
            "2025550411,Bob\u202emoc.knab,,,2026-01-15,Form,web_form,A",
        ),
        use_copy=use_copy,
    )
    assert imp.status == "DONE" and imp.consented_count == 1
    assert imp.report == [{"line": 3, "reason": "the name contains a text-direction control"}]
    assert not Contact.objects.filter(business=business, phone="+12025550411").exists()
