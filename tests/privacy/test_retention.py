"""Retention: the framework, the accounts rules, the command, the beat entry, the admin."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import (
    ApiKey,
    AuditEvent,
    Business,
    Invitation,
    Membership,
)
from accounts.privacy import retention
from accounts.privacy import services as privacy
from accounts.privacy.models import RetentionRun, UsageLogEntry
from accounts.privacy.retention import consent_retention_check
from accounts.privacy.tasks import retention_run_task
from tests.factories.accounts import MembershipFactory

USAGE_RULE = "usage log deleted after RETENTION_USAGE_LOG_DAYS"
CLOSED_RULE = "closed businesses anonymised after RETENTION_CLOSED_BUSINESS_DAYS"


def _usage(user, days_ago):
    entry = UsageLogEntry.objects.create(user=user, path="/app/")
    UsageLogEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return entry


def _closed(owner, days_ago):
    privacy.business_close(membership=owner, confirmation=owner.business.display_name)
    Business.objects.filter(pk=owner.business.pk).update(
        vetting_changed_at=timezone.now() - timedelta(days=days_ago)
    )
    return Business.objects.get(pk=owner.business.pk)


@pytest.mark.django_db
def test_usage_log_purge_dry_run_then_real(owner):
    old, fresh = _usage(owner.user, 91), _usage(owner.user, 10)
    run = retention.retention_run(dry_run=True)
    assert run.results[USAGE_RULE] == {"usage_log_entries": 1}
    assert UsageLogEntry.objects.count() == 2  # dry run changed nothing
    run = retention.retention_run()
    assert run.results[USAGE_RULE] == {"usage_log_entries": 1}
    assert list(UsageLogEntry.objects.all()) == [fresh]
    assert not UsageLogEntry.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db
@override_settings(RETENTION_USAGE_LOG_DAYS=5)
def test_usage_log_period_is_a_setting(owner):
    _usage(owner.user, 6)
    assert retention.retention_run().results[USAGE_RULE] == {"usage_log_entries": 1}


@pytest.mark.django_db
def test_closed_business_purged_after_the_legal_period(owner, members, other_owner):
    business = owner.business
    services.invitation_create(
        business=business, email="later@example.com", role="agent", invited_by=owner
    )
    services.api_key_create(business=business, name="k", role="agent", by=owner)
    services.audit_record(action="contact.create", actor=owner.user, business=business)
    days = settings.RETENTION_CLOSED_BUSINESS_DAYS
    business = _closed(owner, days - 1)
    assert retention.retention_run().results[CLOSED_RULE]["businesses"] == 0  # not yet

    Business.objects.filter(pk=business.pk).update(
        vetting_changed_at=timezone.now() - timedelta(days=days + 1)
    )
    dry = retention.retention_run(dry_run=True).results[CLOSED_RULE]
    assert dry == {"businesses": 1, "memberships": 5, "invitations": 1, "api_keys": 1}
    assert Membership.objects.filter(business=business).count() == 5

    run = retention.retention_run()
    assert run.results[CLOSED_RULE] == dry
    business.refresh_from_db()
    assert business.legal_name.startswith("Closed business ")
    assert business.display_name == business.legal_name
    assert business.brand_domains == [] and business.industry_description == ""
    assert business.data_purged_at is not None
    assert not Membership.objects.filter(business=business).exists()
    assert not Invitation.objects.filter(business=business).exists()
    assert not ApiKey.objects.filter(business=business).exists()
    # the people are detached, not deleted; the legal records stay
    owner.user.refresh_from_db()
    assert owner.user.is_active
    assert AuditEvent.objects.filter(business=business, action="contact.create").exists()
    assert AuditEvent.objects.filter(business=business, action="business.purge").exists()
    # another business is untouched; a second run finds nothing
    assert Membership.objects.filter(business=other_owner.business).exists()
    assert retention.retention_run().results[CLOSED_RULE]["businesses"] == 0


@pytest.mark.django_db
def test_registered_rules_run_and_a_failing_rule_is_recorded(owner):
    calls = []

    def bodies(*, now, dry_run):
        calls.append(dry_run)
        return {"message_bodies": 3}

    def broken(now, dry_run):
        raise RuntimeError("disk on fire")

    retention.register("test bodies", bodies)
    retention.register("test broken", broken)
    try:
        run = retention.retention_run(dry_run=True, trigger="admin")
    finally:
        retention._rules.pop("test bodies")
        retention._rules.pop("test broken")
    assert calls == [True]
    assert run.results["test bodies"] == {"message_bodies": 3}
    assert "disk on fire" in run.errors["test broken"]
    assert USAGE_RULE in run.results  # the others still ran
    stored = RetentionRun.objects.get(pk=run.pk)
    assert stored.dry_run and stored.trigger == "admin" and not stored.ok
    assert stored.finished_at is not None
    assert stored.settings_snapshot["RETENTION_CONSENT_YEARS"] == 5


@pytest.mark.django_db
def test_dry_run_rolls_back_a_rule_that_writes_anyway(owner):
    def careless(*, now, dry_run):
        UsageLogEntry.objects.all().delete()
        return {"deleted": 1}

    _usage(owner.user, 1)
    retention.register("test careless", careless)
    try:
        retention.retention_run(dry_run=True)
    finally:
        retention._rules.pop("test careless")
    assert UsageLogEntry.objects.count() == 1


@pytest.mark.django_db
def test_consent_retention_under_five_years_is_refused():
    with override_settings(RETENTION_CONSENT_YEARS=4):
        with pytest.raises(ImproperlyConfigured, match="at least 5 years"):
            retention.retention_run()
        with pytest.raises(ImproperlyConfigured):
            retention.consent_years()
        errors = consent_retention_check(None)
        assert errors and errors[0].id == "accounts.E001"
    assert not RetentionRun.objects.exists()
    with override_settings(RETENTION_CONSENT_YEARS=7):
        assert retention.consent_years() == 7
        assert consent_retention_check(None) == []


@pytest.mark.django_db
def test_command_prints_what_each_rule_removed(owner, capsys):
    _usage(owner.user, 200)
    call_command("retention_run", "--dry-run")
    out = capsys.readouterr().out
    assert "dry run" in out and f"{USAGE_RULE}: would remove usage_log_entries=1" in out
    call_command("retention_run")
    out = capsys.readouterr().out
    assert f"{USAGE_RULE}: removed usage_log_entries=1" in out
    assert not UsageLogEntry.objects.exists()
    assert RetentionRun.objects.filter(trigger="command").count() == 2


@pytest.mark.django_db
def test_command_fails_loudly_when_a_rule_fails():
    retention.register("test broken", lambda now, dry_run: 1 / 0)
    try:
        with pytest.raises(CommandError, match="1 retention rule"):
            call_command("retention_run")
    finally:
        retention._rules.pop("test broken")


def test_beat_runs_retention_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["privacy-retention"]
    assert entry["task"] == "accounts.tasks.retention_run_task"
    from config.celery_app import app

    app.loader.import_default_modules()
    assert "accounts.tasks.retention_run_task" in app.tasks


@pytest.mark.django_db
def test_the_beat_task_records_a_run(owner):
    _usage(owner.user, 365)
    run_uuid = retention_run_task.apply().get()
    run = RetentionRun.objects.get(uuid=run_uuid)
    assert run.trigger == "beat" and run.results[USAGE_RULE] == {"usage_log_entries": 1}


@pytest.mark.django_db
def test_runs_are_visible_in_the_admin(staff_client):
    client = staff_client
    run = retention.retention_run(dry_run=True)
    listing = client.get(reverse("admin:privacy_retentionrun_changelist"))
    assert listing.status_code == 200
    assert "usage_log_entries" in listing.content.decode()
    detail = client.get(reverse("admin:privacy_retentionrun_change", args=[run.pk]))
    assert detail.status_code == 200 and "RETENTION_USAGE_LOG_DAYS" in detail.content.decode()
    assert client.get(reverse("admin:privacy_retentionrun_add")).status_code == 403


@pytest.mark.django_db
def test_member_of_a_purged_business_keeps_their_account(owner):
    second = MembershipFactory(role="owner")  # also in another business
    Membership.objects.create(business=owner.business, user=second.user, role="agent")
    _closed(owner, settings.RETENTION_CLOSED_BUSINESS_DAYS + 2)
    retention.retention_run()
    assert list(Membership.objects.filter(user=second.user)) == [second]


@pytest.mark.django_db
@override_settings(RETENTION_CONSENT_YEARS=3)
def test_command_refuses_a_consent_period_under_five_years():
    with pytest.raises(CommandError, match="at least 5 years"):
        call_command("retention_run", "--dry-run")
