"""The gates with the database: rules from the migration, edits recompile, decisions are
logged, snowshoeing, outcome signals become strikes, holds and suspension."""

from types import SimpleNamespace

import pytest

from accounts.models import AuditEvent, Business
from policies import services
from policies.engine import load_fixture
from policies.models import (
    BusinessScreening,
    ContentFingerprint,
    PolicyDecision,
    PolicyHold,
    RiskCounter,
    RuleChange,
    Strike,
    Term,
)
from tests.factories.accounts import BusinessFactory

STOP = " Reply STOP to opt out."


@pytest.fixture(autouse=True)
def _fresh_rules(settings):
    settings.POLICY_RULES_TTL = 0  # see every edit at once
    services.rules_reset()
    yield
    services.rules_reset()


@pytest.mark.django_db
class TestRules:
    def test_migration_loaded_the_shipped_rules(self):
        assert Term.objects.filter(scope="content").count() > 500
        # the newest shipped fixture (its migration ran with the others)
        assert services.rules_current().version.startswith(load_fixture()["version"])
        # the trade vocabularies came with fixture 2026.12.1 (migration 0008), Spanish
        # industry descriptors and wider vocabularies with 2026.12.2 (migration 0009)
        assert Term.objects.filter(scope="vocabulary").count() > 1000
        assert services.rules_current().vocabulary.single.get("dispensary") == ("cannabis",)
        assert Term.objects.get(rule_id="industry.lending.es_prestamos_rapidos").enabled

    def test_an_edit_recompiles_and_is_recorded(self, staff_user):
        business = BusinessFactory()
        d = services.message_check(
            business=business, body="Try our zorblax today", kind="conversational"
        )
        assert d.decision == "allow"
        from policies.models import Category

        term = Term.objects.create(
            rule_id="content.fraud.zorblax",
            category=Category.objects.get(slug="fraud_deceptive"),
            phrase="zorblax",
        )
        services.rule_change_record(
            kind="Term",
            rule=term.rule_id,
            action="create",
            before=None,
            after={"phrase": "zorblax"},
            actor=staff_user,
        )
        d = services.message_check(
            business=business, body="Try our zorblax today", kind="conversational"
        )
        assert d.decision == "block" and d.categories == ["fraud_deceptive"]
        change = RuleChange.objects.get(rule="content.fraud.zorblax")
        assert change.actor == staff_user
        assert AuditEvent.objects.filter(action="policy.rule.create", actor=staff_user).exists()
        with pytest.raises(ValueError):
            change.delete()

    def test_disabling_a_term_lets_its_word_through(self):
        business = BusinessFactory()
        assert (
            services.message_check(
                business=business, body="Fresh kratom", kind="conversational"
            ).decision
            == "block"
        )
        Term.objects.filter(scope="content", phrase="kratom").update(enabled=False)
        services.rule_change_record(
            kind="Term", rule="kratom", action="update", before=None, after=None
        )
        after = services.message_check(
            business=business, body="Fresh kratom", kind="conversational"
        )
        # the rule is gone; the learned layer still reads an offer of kratom, with its own reason
        assert [r.rule_id for r in after.reasons] == ["learned.message.kratom"]
        assert after.reasons[0].message.startswith("This reads like an offer of kratom")


@pytest.mark.django_db
class TestMessageCheck:
    def test_block_is_logged_with_reasons_for_the_business(self, business):
        body = "Book now: bit.ly/abc"
        d = services.message_check(business=business, body=body, kind="transactional")
        assert d.decision == "block"
        logged = PolicyDecision.objects.get(business=business)
        assert logged.reasons[0]["message"].startswith(
            "bit.ly is a public link shortener; use a link on brightsmile"
        )
        assert logged.excerpt == body

    def test_allow_is_not_logged(self, business):
        d = services.message_check(business=business, body="See you at 3pm!", kind="conversational")
        assert d.allowed and not PolicyDecision.objects.exists()

    def test_conformance_uses_the_campaign_duck_typed(self, business):
        campaign = SimpleNamespace(
            usecase="ACCOUNT_NOTIFICATION",
            embedded_link=False,
            embedded_phone=False,
            number_pool=False,
        )
        d = services.message_check(
            business=business,
            body=f"Your bill: {business.brand_domains[0]}/pay",
            kind="transactional",
            campaign=campaign,
        )
        assert [r.rule_id for r in d.reasons] == ["conformance.embedded_link"]

    def test_precheck_records_nothing(self, business):
        d = services.message_precheck(business=business, body="cheap v1agra", kind="conversational")
        assert d.decision == "block"
        assert not PolicyDecision.objects.exists() and not ContentFingerprint.objects.exists()


@pytest.mark.django_db
class TestSnowshoeing:
    BODY = "Spring sale! 20% off every service this week only at our studio." + STOP

    def test_same_content_from_many_numbers_is_blocked_and_struck(self, business, settings):
        settings.POLICY_SNOWSHOE_NUMBERS = 3
        for n in ("+15550000001", "+15550000002"):
            d = services.message_check(
                business=business, body=self.BODY, kind="marketing", from_number=n
            )
            assert d.allowed
        # near-same: case, spacing and a look-alike letter changed
        near = self.BODY.upper().replace("O", "О", 1)
        d = services.message_check(
            business=business, body=near, kind="marketing", from_number="+15550000003"
        )
        assert d.decision == "block"
        assert "evasion" in d.categories
        assert any(r.rule_id == "behaviour.snowshoeing" for r in d.reasons)
        strike = Strike.objects.get(business=business, signal=Strike.Signal.SNOWSHOEING)
        assert "3 of your numbers" in strike.explanation
        assert AuditEvent.objects.filter(action="policy.strike", business=business).exists()

    def test_one_number_repeating_is_fine_and_pools_are_exempt(self, business):
        for _ in range(4):
            assert services.message_check(
                business=business, body=self.BODY, kind="marketing", from_number="+15550000001"
            ).allowed
        pool = SimpleNamespace(
            usecase="MARKETING", embedded_link=True, embedded_phone=True, number_pool=True
        )
        for n in range(5):
            d = services.message_check(
                business=business,
                body=self.BODY,
                kind="marketing",
                campaign=pool,
                from_number=f"+1555000010{n}",
            )
            assert d.allowed

    def test_other_businesses_do_not_count(self, business, other_business):
        for i, b in enumerate([business, other_business, other_business]):
            services.message_check(
                business=b, body=self.BODY, kind="marketing", from_number=f"+1555000020{i}"
            )
        assert not Strike.objects.exists()


@pytest.mark.django_db
class TestOutcomes:
    def test_counts_accumulate_per_day(self, business):
        services.message_outcome_report(business=business, event="sent", detail={"count": 40})
        services.message_outcome_report(business=business, event="sent")
        assert RiskCounter.objects.get(business=business).sent == 41

    def test_unknown_event_is_refused(self, business):
        from accounts.errors import ValidationFailed

        with pytest.raises(ValidationFailed):
            services.message_outcome_report(business=business, event="exploded")

    def test_low_volume_raises_nothing(self, business):
        services.message_outcome_report(business=business, event="sent", detail={"count": 10})
        services.message_outcome_report(business=business, event="opt_out", detail={"count": 5})
        assert not Strike.objects.exists()

    def test_rates_become_strikes_then_hold_then_suspension(self, business, settings):
        settings.POLICY_STRIKES_HOLD, settings.POLICY_STRIKES_SUSPEND = 2, 3
        services.message_outcome_report(business=business, event="sent", detail={"count": 100})
        services.message_outcome_report(business=business, event="opt_out", detail={"count": 8})
        strike = Strike.objects.get(business=business)
        assert strike.signal == Strike.Signal.OPT_OUT_RATE and "8.0%" in strike.explanation
        services.message_outcome_report(business=business, event="opt_out")  # same signal: once
        assert Strike.objects.filter(business=business).count() == 1
        assert not PolicyHold.objects.exists()

        services.message_outcome_report(
            business=business, event="carrier_filtered", detail={"count": 3}
        )
        hold = PolicyHold.objects.get(business=business, active=True)
        assert AuditEvent.objects.filter(action="policy.hold", business=business).exists()
        d = services.message_check(
            business=business, body="See you tomorrow!", kind="conversational"
        )
        assert d.decision == "review" and d.categories == ["account_hold"]
        assert hold.reason in d.reasons[0].message

        services.message_outcome_report(
            business=business, event="opt_out_after_first_message", detail={"count": 3}
        )
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.SUSPENDED
        assert "3 active policy strikes" in business.vetting_reason
        assert PolicyDecision.objects.filter(business=business, gate="behaviour").count() == 3

    def test_clearing_strikes_releases_the_hold(self, business, staff_user, settings):
        settings.POLICY_STRIKES_HOLD = 2
        services.message_outcome_report(business=business, event="sent", detail={"count": 100})
        services.message_outcome_report(business=business, event="opt_out", detail={"count": 9})
        services.message_outcome_report(business=business, event="blocked", detail={"count": 30})
        assert PolicyHold.objects.get(business=business).active
        strike = Strike.objects.filter(business=business).first()
        services.strike_clear(strike=strike, actor=staff_user, reason="Bought list removed")
        assert not PolicyHold.objects.get(business=business).active
        assert AuditEvent.objects.filter(action="policy.hold.released").exists()


@pytest.mark.django_db
class TestScreening:
    def test_review_is_flagged_and_staff_decide(self, staff_user):
        business = BusinessFactory(vetting_status=Business.Vetting.PENDING_REVIEW)
        decision = services.business_screen(
            name="North Advisors",
            industry_description="Financial planning for families",
            website="https://na.com",
        )
        assert decision.decision == "review"
        s = services.screening_record(
            business=business,
            name="North Advisors",
            industry_description="Financial planning",
            website="https://na.com",
            decision=decision,
        )
        assert s.status == BusinessScreening.Status.OPEN
        services.screening_decide(
            screening=s, approve=False, reason="Sells annuities", actor=staff_user
        )
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.TERMINATED
        s.refresh_from_db()
        assert s.status == BusinessScreening.Status.REJECTED and s.decided_by == staff_user
        from accounts.errors import Conflict

        with pytest.raises(Conflict):
            services.screening_decide(screening=s, approve=True, reason="again", actor=staff_user)
