"""Carrier penalty ledger and restrictions: services, the send path's rate limit selector,
enforcement of suspensions, audit, append-only ledger."""

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from accounts.errors import Conflict, ValidationFailed
from accounts.models import AuditEvent, Business
from accounts.privacy.exports import business_export_build
from campaigns.selectors import number_send_permission
from policies import penalties
from policies.governance_views import register_hooks
from policies.models import CarrierPenalty, Restriction
from tests.factories.accounts import UserFactory
from tests.factories.campaigns import PhoneNumberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True)


def _fine(business, staff, **over):
    data = {
        "business": business,
        "kind": "FINE",
        "carrier": "T-Mobile",
        "carrier_reference": "TMO-SEV1-88231",
        "amount": Decimal("10000.00"),
        "currency": "usd",
        "incurred_on": date(2026, 11, 20),
        "description": "Sev-1 violation: cannabis content sent from a dental campaign.",
        "evidence": "Carrier notice of 2026-11-20, message ids SM1, SM2.",
        "actor": staff,
        "ip": "10.1.2.3",
    }
    data.update(over)
    return penalties.penalty_record(**data)


def _throttle(business, staff, limit=10, window=60.0, **over):
    data = {
        "business": business,
        "kind": "THROUGHPUT",
        "limit": limit,
        "window": window,
        "reason": "Carrier complaint about volume.",
        "remedy": "Clean your list; we review in two weeks.",
        "actor": staff,
    }
    data.update(over)
    return penalties.restriction_apply(**data)


# --- ledger --------------------------------------------------------------------------------


def test_penalty_recorded_audited_and_totalled_with_credits(business, staff):
    fine = _fine(business, staff)
    assert fine.currency == "USD" and fine.recorded_by == staff
    _fine(business, staff, kind="FEE", amount=Decimal("250.50"), carrier_reference="ATT-77")
    _fine(
        business,
        staff,
        kind="CREDIT",
        amount=Decimal("5000"),
        carrier_reference="TMO-SEV1-88231-W",
        description="Half waived on appeal.",
        offsets=fine,
    )
    assert penalties.penalty_totals(business=business) == {"USD": Decimal("5250.50")}
    event = AuditEvent.objects.get(action="policies.penalty.fine")
    assert event.business == business and event.actor == staff and event.ip == "10.1.2.3"
    assert event.detail["carrier_reference"] == "TMO-SEV1-88231"
    assert event.detail["amount"] == "10000.00"


@pytest.mark.parametrize(
    "over,field",
    [
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("-5")}, "amount"),
        ({"carrier_reference": " "}, "carrier_reference"),
        ({"carrier": ""}, "carrier"),
        ({"currency": "US"}, "currency"),
        ({"description": ""}, "description"),
        ({"kind": "BRIBE"}, "kind"),
        ({"kind": "CREDIT"}, "offsets"),
    ],
)
def test_penalty_bad_input_names_the_field(business, staff, over, field):
    with pytest.raises(ValidationFailed) as exc:
        _fine(business, staff, **over)
    assert field in exc.value.fields
    assert not CarrierPenalty.objects.exists()


def test_credit_must_offset_this_business(business, other_business, staff):
    theirs = _fine(other_business, staff)
    with pytest.raises(ValidationFailed) as exc:
        _fine(business, staff, kind="CREDIT", offsets=theirs)
    assert "offsets" in exc.value.fields


def test_ledger_is_append_only_in_code_and_database(business, staff):
    fine = _fine(business, staff)
    with pytest.raises(ValueError):
        fine.save()
    with pytest.raises(ValueError):
        fine.delete()
    for sql in (
        "UPDATE policies_carrierpenalty SET amount = 1 WHERE id = %s",
        "DELETE FROM policies_carrierpenalty WHERE id = %s",
    ):
        with (
            pytest.raises(Exception, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [fine.pk])


# --- rate_limit_for: the send path's selector ----------------------------------------------


def test_rate_limit_none_without_restrictions(business):
    assert penalties.rate_limit_for(business_id=business.pk) is None


def test_rate_limit_strictest_in_force_and_only_for_that_business(business, other_business, staff):
    _throttle(business, staff, limit=20, window=60)
    assert penalties.rate_limit_for(business_id=business.pk) == (20, 60.0)
    # applying a stricter one is seen at once (cache invalidated)
    _throttle(business, staff, limit=30, window=300)  # 0.1/s: stricter than 20/60
    assert penalties.rate_limit_for(business_id=business.pk) == (30, 300.0)
    _throttle(business, staff, limit=5, window=60)  # 0.083/s: strictest
    assert penalties.rate_limit_for(business_id=business.pk) == (5, 60.0)
    assert penalties.rate_limit_for(business_id=other_business.pk) is None
    # other kinds of restriction do not change throughput
    penalties.restriction_apply(
        business=other_business,
        kind="ACCOUNT_SUSPENSION",
        reason="Unpaid carrier fine.",
        remedy="Pay the fine.",
        actor=staff,
    )
    assert penalties.rate_limit_for(business_id=other_business.pk) is None


def test_rate_limit_equal_rates_prefer_the_smaller_burst(business, staff):
    _throttle(business, staff, limit=20, window=60)
    _throttle(business, staff, limit=10, window=30)
    assert penalties.rate_limit_for(business_id=business.pk) == (10, 30.0)


def test_rate_limit_lifted_and_expired_restrictions_no_longer_apply(business, staff):
    row = _throttle(business, staff, limit=5)
    assert penalties.rate_limit_for(business_id=business.pk) == (5, 60.0)
    penalties.restriction_lift(restriction=row, reason="List cleaned.", actor=staff)
    assert penalties.rate_limit_for(business_id=business.pk) is None
    assert AuditEvent.objects.filter(action="policies.restriction.lift.throughput").exists()
    # one that ended in the past never applies
    Restriction.objects.create(
        business=business,
        kind="THROUGHPUT",
        limit=1,
        window=60,
        reason="old",
        remedy="none",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
    )
    cache.clear()
    assert penalties.rate_limit_for(business_id=business.pk) is None


def test_rate_limit_cache_lives_no_longer_than_the_restriction(business, staff):
    ends = timezone.now() + timedelta(seconds=3)
    _throttle(business, staff, limit=7, ends_at=ends)
    assert penalties.rate_limit_for(business_id=business.pk) == (7, 60.0)
    assert cache.get(penalties._rate_key(business.pk)) is not None
    # the answer is cached: a row written behind the service's back is not seen...
    Restriction.objects.filter(business=business).update(limit=3)
    assert penalties.rate_limit_for(business_id=business.pk) == (7, 60.0)
    # ...until the cache entry goes (what every service write does)
    cache.delete(penalties._rate_key(business.pk))
    assert penalties.rate_limit_for(business_id=business.pk) == (3, 60.0)
    # the entry lives no longer than the restriction, whatever the cache backend (Redis in
    # CI, local memory without it): one second past the end it is gone by itself
    time.sleep(max(0.0, (ends - timezone.now()).total_seconds()) + 1.2)
    assert cache.get(penalties._rate_key(business.pk)) is None


def test_rate_limit_is_one_cache_read_when_warm(business, staff, django_assert_num_queries):
    _throttle(business, staff, limit=9)
    penalties.rate_limit_for(business_id=business.pk)
    with django_assert_num_queries(0):
        for _ in range(50):
            assert penalties.rate_limit_for(business_id=business.pk) == (9, 60.0)


@pytest.mark.parametrize(
    "limit,window,field",
    [
        (0, 60, "limit"),
        (None, 60, "limit"),
        (10, 0, "window"),
        (50, 60, "limit"),
        (100, 60, "limit"),
    ],
)
def test_throughput_must_be_a_real_reduction(business, staff, limit, window, field):
    with pytest.raises(ValidationFailed) as exc:
        _throttle(business, staff, limit=limit, window=window)
    assert field in exc.value.fields


def test_restriction_needs_reason_and_remedy(business, staff):
    with pytest.raises(ValidationFailed) as exc:
        _throttle(business, staff, reason="", remedy=" ")
    assert {"reason", "remedy"} <= set(exc.value.fields)


# --- suspension and termination: enforced through vetting ----------------------------------


def test_account_suspension_stops_sending_at_once_and_lifting_reinstates(business, staff):
    number = PhoneNumberFactory(business=business)
    ok = number_send_permission(business=business, number=number, kind="marketing", automated=True)
    assert ok.allowed
    row = penalties.restriction_apply(
        business=business,
        kind="ACCOUNT_SUSPENSION",
        reason="Carrier Sev-1 complaint under investigation.",
        remedy="Send us your consent records for the numbers in the complaint.",
        actor=staff,
        ip="10.0.0.9",
    )
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.SUSPENDED
    refused = number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    )
    assert not refused.allowed and refused.code == "business_not_approved"
    assert AuditEvent.objects.filter(
        action="policies.restriction.apply.account_suspension", business=business
    ).exists()
    assert AuditEvent.objects.filter(action="business.vetting.suspended").exists()
    penalties.restriction_lift(restriction=row, reason="Records received.", actor=staff)
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.APPROVED
    assert number_send_permission(
        business=business, number=number, kind="marketing", automated=True
    ).allowed


def test_termination_is_final(business, staff):
    row = penalties.restriction_apply(
        business=business,
        kind="TERMINATION",
        reason="Repeated prohibited content after suspension.",
        remedy="None: the account is closed. Export your data within 30 days.",
        actor=staff,
    )
    business.refresh_from_db()
    assert business.vetting_status == Business.Vetting.TERMINATED
    with pytest.raises(Conflict):
        penalties.restriction_lift(restriction=row, reason="oops", actor=staff)
    with pytest.raises(ValidationFailed):
        penalties.restriction_apply(
            business=business, kind="TERMINATION", reason="again", remedy="-", actor=staff
        )


def test_restriction_linked_to_a_penalty_of_another_business_is_refused(
    business, other_business, staff
):
    theirs = _fine(other_business, staff)
    with pytest.raises(ValidationFailed) as exc:
        _throttle(business, staff, penalty=theirs)
    assert "penalty" in exc.value.fields


def test_compliance_section_in_the_business_export(business, staff):
    register_hooks()
    _fine(business, staff)
    _throttle(business, staff, limit=4)
    export = business_export_build(business=business)
    assert "compliance" not in export["errors"]
    section = export["sections"]["compliance"]
    assert section["carrier_penalties"][0]["carrier_reference"] == "TMO-SEV1-88231"
    assert section["restrictions"][0]["limit"] == 4
