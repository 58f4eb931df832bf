"""Policy documents: versions in effect, publishing with notices, acceptances, public pages,
the banner, sign-up acceptance and the export section."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.errors import Conflict, NotFound, ValidationFailed
from accounts.models import AuditEvent
from accounts.privacy.exports import user_export_build
from accounts.roles import Role
from policies import documents
from policies.governance_views import register_hooks
from policies.models import PolicyAcceptance, PolicyDocument
from tests.factories.accounts import MembershipFactory, UserFactory, signup_data

pytestmark = pytest.mark.django_db


def _draft(kind="terms", version="2.0", *, effective=None, body="New text.\n\nSecond paragraph."):
    return PolicyDocument.objects.create(
        kind=kind,
        version=version,
        title=f"{kind} {version}",
        summary="We explain carrier fines.",
        body=body,
        effective_at=effective or timezone.now() + timedelta(days=30),
    )


def _staff():
    return UserFactory(is_staff=True)


# --- the shipped first versions -------------------------------------------------------------


def test_migration_ships_a_first_version_of_each_document():
    for kind in ("privacy", "sms-policy", "terms"):
        doc = documents.document_current(kind=kind)
        assert doc is not None and doc.version == "1.0" and len(doc.body) > 1500
        assert documents.current_version(kind) == f"{kind}:1.0"
    privacy = documents.document_current(kind="privacy").body
    # the text promises what the software does
    for promise in ("180 days", "90 days", "five years", "under 13", "STOP", "JSON"):
        assert promise in privacy


def test_unknown_kind_is_not_found():
    with pytest.raises(NotFound):
        documents.document_current(kind="cookies")


# --- publishing ----------------------------------------------------------------------------


def test_publish_future_version_notifies_every_member_and_keeps_current(business, members):
    erased = MembershipFactory(business=business, role=Role.VIEWER.value)
    erased.user.erased_at = timezone.now()
    erased.user.save()
    opted_out = MembershipFactory(role=Role.AGENT.value)
    opted_out.user.marketing_email_opt_out = True  # a service notice still reaches them
    opted_out.user.save()
    UserFactory()  # no business: not a member, not notified
    doc = _draft()
    with pytest.raises(Exception):  # noqa: B017 - the draft has no public page yet
        documents.document_get_version(kind="terms", version="2.0")

    with transaction.atomic():  # notices go out after commit
        n = documents.document_publish(document=doc, actor=_staff(), ip="203.0.113.9")
    # the test transaction never commits: run the on-commit hook by hand
    documents.document_notify(document=doc)

    expected = {m.user.email for m in members.values()} | {opted_out.user.email}
    assert n == len(expected)
    assert {m.to[0] for m in mail.outbox} == expected
    notice = next(m for m in mail.outbox if m.to == [opted_out.user.email])
    assert "version 2.0" in notice.subject
    assert "/legal/terms/v/2.0/" in notice.body and "/app/legal/accept/" in notice.body
    assert "We explain carrier fines." in notice.body
    doc.refresh_from_db()
    assert doc.published_at and doc.notified_count == len(expected)
    # the version in effect is still 1.0 until the effective date
    assert documents.current_version("terms") == "terms:1.0"
    assert documents.document_scheduled(kind="terms") == doc
    later = doc.effective_at + timedelta(seconds=1)
    assert documents.document_current(kind="terms", now=later) == doc
    event = AuditEvent.objects.get(action="policies.document.publish")
    assert event.detail["version"] == "2.0" and event.ip == "203.0.113.9"


def test_publish_now_takes_effect_at_once():
    doc = _draft(effective=timezone.now() - timedelta(minutes=2))
    documents.document_publish(document=doc, actor=_staff())
    assert documents.current_version("terms") == "terms:2.0"


def test_publish_refuses_past_dates_older_versions_and_twice():
    old = _draft(effective=timezone.now() - timedelta(days=2))
    with pytest.raises(ValidationFailed) as exc:
        documents.document_publish(document=old, actor=_staff())
    assert "effective_at" in exc.value.fields
    doc = _draft(version="3.0")
    documents.document_publish(document=doc, actor=_staff())
    with pytest.raises(Conflict):
        documents.document_publish(document=doc, actor=_staff())
    earlier = _draft(version="2.5", effective=doc.effective_at - timedelta(days=1))
    with pytest.raises(ValidationFailed):
        documents.document_publish(document=earlier, actor=_staff())


def test_published_versions_are_immutable():
    doc = documents.document_current(kind="privacy")
    doc.body = "Rewritten history"
    with pytest.raises(ValueError):
        doc.save()
    with pytest.raises(ValueError):
        doc.delete()
    draft = _draft()
    draft.body = "still a draft, may change"
    draft.save()
    draft.delete()


# --- acceptances ---------------------------------------------------------------------------


def test_pending_and_acceptance_are_recorded_once(owner):
    user = owner.user
    pending = documents.documents_pending_for(user=user)
    assert {d.kind for d in pending} == {"privacy", "sms-policy", "terms"}
    rows = documents.acceptance_record(
        user=user, documents=pending, business=owner.business, method="portal", ip="198.51.100.7"
    )
    assert len(rows) == 3 and documents.documents_pending_for(user=user) == []
    again = documents.acceptance_record(
        user=user, documents=pending, business=owner.business, method="portal"
    )
    assert again == [] and PolicyAcceptance.objects.filter(user=user).count() == 3
    row = PolicyAcceptance.objects.filter(user=user).first()
    assert row.ip == "198.51.100.7" and row.business == owner.business
    # a new version makes it pending again, the others stay accepted
    new = _draft()
    documents.document_publish(document=new, actor=_staff())
    assert documents.documents_pending_for(user=user) == [new]


def test_acceptances_are_append_only_in_code_and_database(owner):
    documents.acceptance_record_current(user=owner.user, business=None, method="signup")
    row = PolicyAcceptance.objects.filter(user=owner.user).first()
    with pytest.raises(ValueError):
        row.save()
    with pytest.raises(ValueError):
        row.delete()
    for sql in (
        "UPDATE policies_policyacceptance SET ip = '10.0.0.1' WHERE id = %s",
        "DELETE FROM policies_policyacceptance WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [row.pk])
    # deleting the person (account erasure) only detaches the link
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE policies_policyacceptance SET user_id = NULL WHERE id = %s", [row.pk])


def test_unique_acceptance_per_user_and_version(owner):
    doc = documents.document_current(kind="terms")
    PolicyAcceptance.objects.create(user=owner.user, document=doc, method="portal")
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyAcceptance.objects.create(user=owner.user, document=doc, method="portal")


def test_acceptances_are_in_the_members_own_export(owner, other_owner):
    register_hooks()  # another test may have swapped the section out (idempotent)
    documents.acceptance_record_current(
        user=owner.user, business=owner.business, method="signup", ip="192.0.2.1"
    )
    documents.acceptance_record_current(user=other_owner.user, business=None, method="signup")
    export = user_export_build(user=owner.user)
    assert export["errors"] == {}
    section = export["sections"]["policy_acceptances"]
    assert {(r["kind"], r["version"]) for r in section} == {
        ("privacy", "1.0"),
        ("sms-policy", "1.0"),
        ("terms", "1.0"),
    }
    assert all(r["ip"] == "192.0.2.1" for r in section)


# --- rendering and public pages ------------------------------------------------------------


def test_render_escapes_and_makes_paragraphs_headings_and_lists():
    html = documents.render_body(
        "# Title\n\nA <script>x</script>\nline two\n\n- one\n- two & three"
    )
    assert "<h2>Title</h2>" in html
    assert "<p>A &lt;script&gt;x&lt;/script&gt;<br>line two</p>" in html
    assert "<ul><li>one</li><li>two &amp; three</li></ul>" in html


@pytest.mark.parametrize(
    "url,title",
    [
        ("/legal/privacy/", "Privacy policy"),
        ("/legal/sms-policy/", "SMS/MMS content policy"),
        ("/legal/terms/", "Terms of service"),
    ],
)
def test_public_pages_show_the_version_in_effect(client, url, title):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"<h1>{title}</h1>" in body and 'id="doc-version">1.0<' in body


def test_versioned_urls_keep_past_versions_and_the_stable_url_moves(client):
    doc = _draft(body="Version two <b>bold</b> text.")
    documents.document_publish(document=doc, actor=_staff())
    page = client.get("/legal/terms/").content.decode()
    assert 'id="doc-version">1.0<' in page and "/legal/terms/v/2.0/" in page  # scheduled notice
    future = client.get("/legal/terms/v/2.0/").content.decode()
    assert "Version two &lt;b&gt;bold&lt;/b&gt; text." in future and "takes effect" in future
    PolicyDocument.objects.filter(pk=doc.pk).update(effective_at=timezone.now())
    assert 'id="doc-version">2.0<' in client.get("/legal/terms/").content.decode()
    old = client.get("/legal/terms/v/1.0/").content.decode()
    assert "past version" in old and 'id="doc-version">1.0<' in old
    assert client.get("/legal/terms/v/9.9/").status_code == 404
    assert client.get("/legal/cookies/v/1.0/").status_code == 404
    _draft(version="4.0")  # a draft is not public
    assert client.get("/legal/terms/v/4.0/").status_code == 404


def test_existing_public_legal_pages_still_work(client):
    # the public site's other pages (served by accounts) are untouched
    assert client.get(reverse("public:legal-page", args=["acceptable-use"])).status_code == 200
    assert client.get(reverse("public:legal")).status_code == 200


# --- portal: banner and acceptance flow ----------------------------------------------------


def test_banner_on_every_portal_page_until_accepted(client, login, members):
    viewer = members[Role.VIEWER]
    login(client, viewer)
    for url in ("/app/", "/app/compliance/", "/app/policy/"):
        page = client.get(url).content.decode()
        assert "policy-notice" in page and "Review and accept" in page, url
    accept = client.get("/app/legal/accept/?next=/app/compliance/")
    assert accept.status_code == 200
    pending = accept.context["pending"]
    assert len(pending) == 3
    response = client.post(
        "/app/legal/accept/",
        {"document": [str(d.uuid) for d in pending], "next": "/app/compliance/"},
        REMOTE_ADDR="198.51.100.23",
    )
    assert response.status_code == 302 and response["Location"] == "/app/compliance/"
    rows = PolicyAcceptance.objects.filter(user=viewer.user)
    assert rows.count() == 3 and {r.ip for r in rows} == {"198.51.100.23"}
    assert {r.method for r in rows} == {"portal"} and {r.business for r in rows} == {
        viewer.business
    }
    assert AuditEvent.objects.filter(action="policies.document.accept", actor=viewer.user).exists()
    page = client.get("/app/").content.decode()
    assert "policy-notice" not in page
    # a new version brings the banner back
    documents.document_publish(document=_draft(), actor=_staff())
    assert "Terms of service (version 2.0)" in client.get("/app/").content.decode()


def test_accept_refuses_unknown_documents_and_offsite_next(client, login, owner):
    login(client, owner)
    response = client.post(
        "/app/legal/accept/", {"document": ["not-a-uuid"], "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/app/legal/accept/"
    assert not PolicyAcceptance.objects.filter(user=owner.user).exists()
    pending = documents.documents_pending_for(user=owner.user)
    response = client.post(
        "/app/legal/accept/",
        {"document": [str(pending[0].uuid)], "next": "https://evil.example/"},
    )
    assert response["Location"] == "/app/legal/accept/"
    assert PolicyAcceptance.objects.filter(user=owner.user).count() == 1


def test_no_banner_on_public_pages(client, login, owner):
    login(client, owner)
    assert "policy-notice" not in client.get("/legal/terms/").content.decode()


# --- sign-up -------------------------------------------------------------------------------


def test_signup_records_acceptance_of_the_versions_in_effect(client):
    response = client.post(
        "/signup/",
        signup_data(),
        REMOTE_ADDR="203.0.113.50",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = PolicyAcceptance.objects.filter(user__email="new.owner@brightnails.example")
    assert {(r.document.kind, r.document.version) for r in rows} == {
        ("privacy", "1.0"),
        ("sms-policy", "1.0"),
        ("terms", "1.0"),
    }
    assert {r.method for r in rows} == {"signup"} and {r.ip for r in rows} == {"203.0.113.50"}
    assert "policy-notice" not in client.get("/app/").content.decode()


def test_pending_check_costs_two_queries(owner, django_assert_num_queries):
    documents.document_publish(document=_draft(), actor=_staff())
    with django_assert_num_queries(2):
        pending = documents.documents_pending_for(user=owner.user)
    assert [(d.kind, d.version) for d in pending] == [
        ("privacy", "1.0"),
        ("sms-policy", "1.0"),
        ("terms", "1.0"),
        ("terms", "2.0"),
    ]
