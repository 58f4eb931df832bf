"""Every copy of personal data: import files, webhook deliveries, a closed business's
contacts and evidence, sessions and sign-in logs — erased, exported and purged."""

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from accounts.events.models import WebhookDelivery, WebhookEndpoint
from accounts.models import Business
from accounts.privacy import retention
from accounts.privacy import services as privacy
from consent import services, subject
from consent.models import ConsentEvidence, Contact, ContactImport
from messaging.models import Message
from messaging.tenant_webhooks import message_inbound_event
from tests.factories.consent import opted_in_contact
from tests.factories.messaging import MessageFactory

pytestmark = pytest.mark.django_db

IMPORT_RULE = "import files deleted after RETENTION_IMPORT_FILE_DAYS"
DELIVERY_RULE = "webhook deliveries deleted after RETENTION_WEBHOOK_DELIVERY_DAYS"
CONTACTS_RULE = "a closed business's contacts erased after its legal period"
MESSAGES_RULE = "a closed business's messages and webhook deliveries purged after its legal period"
SESSIONS_RULE = "expired sessions deleted"
SIGNIN_RULE = "sign-in attempt logs deleted after RETENTION_SIGNIN_LOG_DAYS"

CSV = (
    b"Phone,Full name,Email,Consent date,Consent source,Consent method\n"
    b"(202) 555-0141,Ana Erased,ana@example.com,2026-01-05,shop sign-up sheet,paper form\n"
    b"+12025550142,Bo Stays,bo@example.com,2026-01-05,shop sign-up sheet,paper form\n"
)
MAPPING = {
    "phone": "Phone",
    "name": "Full name",
    "email": "Email",
    "consent_date": "Consent date",
    "consent_source": "Consent source",
    "consent_method": "Consent method",
}


def _import(business, owner) -> ContactImport:
    imp = services.contact_import_create(
        business=business, filename="clients.csv", content=CSV, actor=owner.user
    )
    return services.contact_import_start(
        business=business,
        imp=imp,
        mapping=MAPPING,
        custom_columns=[],
        campaign=None,
        scope_kind="informational",
        attest=True,
        actor=owner.user,
    )


def _contact(business, phone) -> Contact:
    return Contact.objects.get(business=business, phone=phone)


def test_erasure_cuts_the_person_from_the_import_file_and_the_export_shows_it(business, owner):
    imp = _import(business, owner)
    assert imp.status == ContactImport.Status.DONE
    ana = _contact(business, "+12025550141")
    bundle = json.loads(json.dumps(subject.export_bundle(business=business, contact=ana)))
    [section] = bundle["imports"]
    assert section["filename"] == "clients.csv"
    assert [r[1] for r in section["rows"]] == ["Ana Erased"]  # only her row, not Bo's

    services.contact_erase(business=business, contact=ana)
    imp.refresh_from_db()
    raw = bytes(imp.content)
    assert b"Ana Erased" not in raw and b"ana@example.com" not in raw and b"0141" not in raw
    assert b"Bo Stays" in raw and raw.startswith(b"Phone,Full name")
    assert subject.export_bundle(business=business, contact=ana)["imports"] == []


def test_import_files_are_deleted_after_the_period(business, owner):
    old, fresh = _import(business, owner), _import(business, owner)
    days = settings.RETENTION_IMPORT_FILE_DAYS
    ContactImport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - timedelta(days=days + 1)
    )
    assert retention.retention_run(dry_run=True).results[IMPORT_RULE] == {"import_files": 1}
    assert retention.retention_run().results[IMPORT_RULE] == {"import_files": 1}
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert bytes(old.content) == b"" and old.created_count == 2  # the report stays
    assert b"Ana Erased" in bytes(fresh.content)
    assert Contact.objects.filter(business=business).count() == 2  # contacts stay


def _delivery(business, message, *, status=WebhookDelivery.Status.SUCCEEDED, days_ago=0):
    endpoint = WebhookEndpoint.objects.create(
        business=business,
        url="https://hooks.example.com/in",
        events=["message.inbound"],
        secret="s",
    )
    _, event, payload = message_inbound_event(message)
    delivery = WebhookDelivery.objects.create(
        business=business,
        endpoint=endpoint,
        event=event,
        payload=json.loads(json.dumps(payload, default=str)),
        status=status,
    )
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return delivery


def _inbound(business, contact, body="my knee still hurts, call me"):
    return MessageFactory(
        business=business,
        contact=contact,
        direction=Message.Direction.INBOUND,
        to_phone=contact.phone_e164,
        body=body,
        status=Message.Status.RECEIVED,
    )


def test_erasure_blanks_webhook_payloads_and_the_export_lists_them(business, other_business):
    contact = opted_in_contact(business=business, phone="+12025550150")
    other = opted_in_contact(business=business, phone="+12025550151")
    mine = _delivery(business, _inbound(business, contact))
    theirs = _delivery(business, _inbound(business, other, "see you tuesday"))
    exported = subject.export_bundle(business=business, contact=contact)["webhook_deliveries"]
    assert [d["event_id"] for d in exported] == [str(mine.uuid)]
    assert exported[0]["payload"]["body"] == "my knee still hurts, call me"

    services.contact_erase(business=business, contact=contact)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    text = json.dumps(mine.payload)
    assert "knee" not in text and "2025550150" not in text and mine.payload["erased"]
    assert theirs.payload["body"] == "see you tuesday"


def test_final_webhook_deliveries_are_deleted_after_the_period(business):
    contact = opted_in_contact(business=business, phone="+12025550152")
    days = settings.RETENTION_WEBHOOK_DELIVERY_DAYS
    old = _delivery(business, _inbound(business, contact), days_ago=days + 1)
    failed = _delivery(
        business,
        _inbound(business, contact),
        status=WebhookDelivery.Status.FAILED,
        days_ago=days + 1,
    )
    retrying = _delivery(
        business,
        _inbound(business, contact),
        status=WebhookDelivery.Status.RETRYING,
        days_ago=days + 1,
    )
    fresh = _delivery(business, _inbound(business, contact), days_ago=days - 1)
    run = retention.retention_run()
    assert run.results[DELIVERY_RULE] == {"webhook_deliveries": 2}
    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert left == {retrying.pk, fresh.pk}
    assert old.pk not in left and failed.pk not in left


def _close(owner, days_ago) -> Business:
    privacy.business_close(membership=owner, confirmation=owner.business.display_name)
    Business.objects.filter(pk=owner.business.pk).update(
        vetting_changed_at=timezone.now() - timedelta(days=days_ago)
    )
    return Business.objects.get(pk=owner.business.pk)


def test_a_closed_business_keeps_contacts_and_evidence_until_its_legal_period(owner, other_owner):
    business = owner.business
    imp = _import(business, owner)
    contact = opted_in_contact(business=business, phone="+12025550160", name="Cara Closed")
    _inbound(business, contact)
    stranger = MessageFactory(business=business, to_phone="+12025550169", body="who is this?")
    _delivery(business, stranger)
    elsewhere = opted_in_contact(business=other_owner.business, phone="+12025550160")
    days = settings.RETENTION_CLOSED_BUSINESS_DAYS
    _close(owner, days - 1)
    run = retention.retention_run()
    assert run.results[CONTACTS_RULE] == {"contacts": 0, "import_files": 0}
    assert run.results[MESSAGES_RULE] == {"messages": 0, "webhook_deliveries": 0}

    Business.objects.filter(pk=business.pk).update(
        vetting_changed_at=timezone.now() - timedelta(days=days + 1)
    )
    dry = retention.retention_run(dry_run=True).results[CONTACTS_RULE]
    assert dry == {"contacts": 3, "import_files": 1}  # Cara and the two imported
    run = retention.retention_run()
    assert run.errors == {}
    assert run.results[CONTACTS_RULE] == dry
    imp.refresh_from_db()
    assert bytes(imp.content) == b""
    assert not Contact.objects.filter(business=business, erased_at__isnull=True).exists()
    assert run.results[MESSAGES_RULE] == {"messages": 1, "webhook_deliveries": 1}
    contact.refresh_from_db()
    assert contact.erased_at and contact.phone is None and contact.name == ""
    evidence = ConsentEvidence.objects.filter(event__contact=contact)
    assert evidence.exists() and all(e.ip is None and e.data == {} for e in evidence)
    assert not Message.objects.filter(business=business).exclude(body="", to_phone="").exists()
    assert not WebhookDelivery.objects.filter(business=business).exists()
    elsewhere.refresh_from_db()
    assert elsewhere.erased_at is None and elsewhere.name  # another business untouched


@override_settings(RETENTION_CLOSED_BUSINESS_DAYS=30)
def test_a_closed_business_is_never_purged_before_the_consent_period(owner):
    contact = opted_in_contact(business=owner.business, phone="+12025550161")
    _close(owner, 400)  # past the configured 30 days, inside the five years
    assert retention.retention_run().results[CONTACTS_RULE] == {"contacts": 0, "import_files": 0}
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_expired_sessions_and_old_signin_logs_are_deleted():
    live, dead = SessionStore(), SessionStore()
    live["who"] = dead["who"] = "someone@example.com"
    live.create()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    days = settings.RETENTION_SIGNIN_LOG_DAYS
    for ago in (days + 1, days - 1):
        at = timezone.now() - timedelta(days=ago)
        log = AccessLog.objects.create(
            user_agent="Mozilla", ip_address="203.0.113.9", username="a@example.com"
        )
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=at)
        attempt = AccessAttempt.objects.create(
            user_agent=f"Mozilla {ago}",
            ip_address="203.0.113.9",
            username="a@example.com",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=at)
    run = retention.retention_run()
    assert run.results[SESSIONS_RULE] == {"sessions": 1}
    assert run.results[SIGNIN_RULE] == {
        "signin_attempts": 1,
        "signin_failures": 0,
        "signin_logs": 1,
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert AccessLog.objects.count() == 1 and AccessAttempt.objects.count() == 1


def test_every_retention_setting_is_in_the_run_record():
    snapshot = retention.retention_run(dry_run=True).settings_snapshot
    for name in (
        "RETENTION_IMPORT_FILE_DAYS",
        "RETENTION_WEBHOOK_DELIVERY_DAYS",
        "RETENTION_VISITOR_REQUEST_DAYS",
        "RETENTION_SIGNIN_LOG_DAYS",
        "RETENTION_CLOSED_BUSINESS_DAYS",
    ):
        assert snapshot[name] == getattr(settings, name)
