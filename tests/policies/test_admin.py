"""Compliance staff in the admin: rule edits are recorded and recompile; the review queue."""

import pytest

from accounts.models import AuditEvent, Business
from policies import services
from policies.models import BusinessScreening, Category, RuleChange, Strike, Term
from tests.factories.accounts import BusinessFactory
from tests.factories.policies import BusinessScreeningFactory, StrikeFactory


@pytest.fixture(autouse=True)
def _fresh_rules(settings):
    settings.POLICY_RULES_TTL = 0
    services.rules_reset()


@pytest.mark.django_db
class TestRuleEditing:
    def test_adding_a_term_in_the_admin_takes_effect_and_is_recorded(self, staff_client):
        business = BusinessFactory()
        cat = Category.objects.get(slug="fraud_deceptive")
        r = staff_client.post(
            "/admin/policies/term/add/",
            {
                "rule_id": "content.fraud.quuxcoin",
                "category": cat.pk,
                "scope": "content",
                "phrase": "quuxcoin",
                "verdict": "block",
                "fuzzy": "on",
                "exceptions": "quuxcoin museum",
                "explain": "",
                "enabled": "on",
            },
        )
        assert r.status_code == 302, r.content
        term = Term.objects.get(rule_id="content.fraud.quuxcoin")
        assert term.updated_by == staff_client.staff
        assert RuleChange.objects.get(rule=term.rule_id).action == "create"
        assert (
            services.message_check(
                business=business, body="Buy quuxcoin", kind="conversational"
            ).decision
            == "block"
        )
        assert services.message_check(
            business=business, body="Visit the quuxcoin museum", kind="conversational"
        ).allowed

    def test_a_trade_word_added_in_the_admin_reads_as_its_category(self, staff_client):
        """Trade vocabularies are rule data: an added word is recorded, recompiled, and the
        learned layer reads it with the weight of its category's vocabulary at once."""
        from policies.engine.learned import business_text, features

        row = {"name": "Glimmer House", "industry_description": "zorbleaf and zorbleaf tins"}
        before = services.rules_current()
        model = before.learned.business
        feats = features(business_text(row), before.knowledge, vocab=before.vocabulary)
        assert not any(f.startswith("v:") for f in feats)
        cat = Category.objects.get(slug="cannabis")
        r = staff_client.post(
            "/admin/policies/tradevocabulary/add/",
            {
                "rule_id": "vocabulary.cannabis.zorbleaf",
                "category": cat.pk,
                "scope": "vocabulary",
                "phrase": "zorbleaf",
                "verdict": "review",
                "exceptions": "",
                "explain": "",
                "enabled": "on",
            },
        )
        assert r.status_code == 302, r.content
        term = Term.objects.get(rule_id="vocabulary.cannabis.zorbleaf")
        assert term.scope == "vocabulary" and term.updated_by == staff_client.staff
        assert RuleChange.objects.get(rule=term.rule_id).action == "create"
        after = services.rules_current()
        assert after is not before and after.vocabulary.single["zorbleaf"] == ("cannabis",)
        feats2 = features(business_text(row), after.knowledge, vocab=after.vocabulary)
        assert "v:cannabis" in feats2
        assert model.weights["v:cannabis"] > 0
        assert model.probability(feats2) > model.probability(feats)
        # a vocabulary word is not a rule: nothing is refused for the word alone
        d = services.business_screen(
            name=row["name"], industry_description=row["industry_description"], website=""
        )
        assert not any(x.rule_id.startswith("vocabulary.") for x in d.reasons)
        # listed on its own page, not among the terms
        assert b"zorbleaf" in staff_client.get("/admin/policies/tradevocabulary/").content
        assert staff_client.get("/admin/policies/term/?q=zorbleaf").context["cl"].result_count == 0

    def test_exception_must_contain_the_term(self, staff_client):
        cat = Category.objects.get(slug="cannabis")
        r = staff_client.post(
            "/admin/policies/term/add/",
            {
                "rule_id": "x.y",
                "category": cat.pk,
                "scope": "content",
                "phrase": "pot",
                "verdict": "block",
                "exceptions": "cooking pan",
                "enabled": "on",
            },
        )
        assert r.status_code == 200 and not Term.objects.filter(rule_id="x.y").exists()

    def test_bad_regex_is_refused(self, staff_client):
        cat = Category.objects.get(slug="lending")
        r = staff_client.post(
            "/admin/policies/pattern/add/",
            {
                "rule_id": "p.bad",
                "category": cat.pk,
                "scope": "content",
                "regex": "(unclosed",
                "verdict": "block",
                "enabled": "on",
            },
        )
        assert r.status_code == 200 and b"Not a valid regular expression" in r.content

    def test_rule_pages_render(self, staff_client):
        for url in (
            "/admin/policies/term/",
            "/admin/policies/industrydescriptor/",
            "/admin/policies/tradevocabulary/",
            "/admin/policies/tradevocabulary/add/",
            "/admin/policies/shortenerdomain/",
            "/admin/policies/rulechange/",
            "/admin/policies/businessscreening/",
            "/admin/policies/strike/",
            "/admin/policies/policydecision/",
            "/admin/policies/pattern/",
        ):
            assert staff_client.get(url).status_code == 200, url


@pytest.mark.django_db
class TestReviewQueue:
    def _act(self, client, url, action, pk, reason):
        return client.post(
            url,
            {"action": action, "_selected_action": [pk], "apply": "1", "reason": reason},
            REMOTE_ADDR="10.9.8.7",
        )

    def test_flagged_business_shows_reasons_and_approve_is_audited(self, staff_client):
        business = BusinessFactory(vetting_status=Business.Vetting.PENDING_REVIEW)
        s = BusinessScreeningFactory(business=business)
        page = staff_client.get(
            f"/admin/policies/businessscreening/{s.pk}/change/"
        ).content.decode()
        assert "financial planning" in page.lower()
        r = self._act(
            staff_client,
            "/admin/policies/businessscreening/",
            "approve_the_business",
            s.pk,
            "Fee-only planner, no products",
        )
        assert r.status_code == 302
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.APPROVED
        s.refresh_from_db()
        assert s.status == BusinessScreening.Status.APPROVED
        ev = AuditEvent.objects.get(action="policy.screening.approved")
        assert ev.actor == staff_client.staff and ev.ip == "10.9.8.7"

    def test_reject_requires_a_reason(self, staff_client):
        business = BusinessFactory(vetting_status=Business.Vetting.PENDING_REVIEW)
        s = BusinessScreeningFactory(business=business)
        r = self._act(
            staff_client, "/admin/policies/businessscreening/", "reject_the_business", s.pk, ""
        )
        assert r.status_code == 200
        business.refresh_from_db()
        assert business.vetting_status == Business.Vetting.PENDING_REVIEW

    def test_clear_strike(self, staff_client):
        strike = StrikeFactory()
        self._act(
            staff_client,
            "/admin/policies/strike/",
            "clear_the_strike",
            strike.pk,
            "Complaint withdrawn",
        )
        strike.refresh_from_db()
        assert not strike.active and strike.cleared_reason == "Complaint withdrawn"
        assert Strike.objects.filter(active=True).count() == 0
