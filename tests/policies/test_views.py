"""The business's policy page, the portal pre-check, the API pre-check, and sign-up."""

import json

import pytest

from accounts.models import Business, User
from accounts.roles import Role
from policies.models import BusinessScreening, PolicyDecision
from tests.factories.policies import PolicyDecisionFactory, StrikeFactory

SIGNUP = {
    "full_name": "Sam Reed",
    "email": "sam@example.com",
    "password": "a-long-unusual-passphrase-42",
    "legal_name": "Reed LLC",
    "display_name": "Reed",
    "website": "https://reed.com",
    "industry_description": "Hair salon offering cuts and color.",
    "time_zone": "America/Chicago",
    "age_confirmed": "on",
    "accept_terms": "on",
}


@pytest.mark.django_db
class TestOverview:
    def test_shows_own_decisions_and_strikes_only(self, owner_client, business, other_business):
        PolicyDecisionFactory(business=business, excerpt="Book now: bit.ly/abc")
        PolicyDecisionFactory(business=other_business, excerpt="someone else's <secret>")
        StrikeFactory(business=business)
        response = owner_client.get("/app/policy/")
        html = response.content.decode()
        assert response.status_code == 200
        assert "bit.ly is a public link shortener" in html
        assert "replied STOP" in html
        assert "someone else" not in html

    def test_excerpt_is_escaped(self, owner_client, business):
        PolicyDecisionFactory(business=business, excerpt="<script>alert(1)</script>")
        html = owner_client.get("/app/policy/").content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.django_db
class TestPortalCheck:
    def _post(self, client, payload):
        return client.post(
            "/app/policy/check/", json.dumps(payload), content_type="application/json"
        )

    def test_returns_the_decision_dict(self, owner_client):
        r = self._post(owner_client, {"body": "Cheap v1agra here", "kind": "conversational"})
        assert r.status_code == 200
        data = r.json()
        assert data["decision"] == "block" and data["categories"] == ["pharma", "evasion"]
        assert data["reasons"][0]["span"] == [6, 12]
        assert not PolicyDecision.objects.exists()

    def test_bad_input_is_400_in_the_error_shape(self, owner_client):
        r = self._post(owner_client, {"body": "", "kind": "shouting"})
        assert r.status_code == 400
        assert set(r.json()["error"]["fields"]) == {"body", "kind"}

    def test_other_business_campaign_is_404(self, owner_client):
        r = self._post(
            owner_client,
            {"body": "hi", "kind": "marketing", "campaign": "4b1d3f0e-1111-4222-8333-944455556666"},
        )
        assert r.status_code == 404

    def test_csrf_is_enforced(self, owner):
        from django.test import Client

        c = Client(enforce_csrf_checks=True)
        c.force_login(owner.user)
        session = c.session
        session["current_business"] = str(owner.business.uuid)
        session.save()
        r = c.post(
            "/app/policy/check/", json.dumps({"body": "hi"}), content_type="application/json"
        )
        assert r.status_code == 403

    def test_viewer_cannot_check(self, client, login, members):
        login(client, members[Role.VIEWER])
        assert self._post(client, {"body": "hi"}).status_code == 403


@pytest.mark.django_db
class TestApiCheck:
    def test_checks_with_the_business_brand_domains(self, api_client, business):
        r = api_client.post(
            "/api/v1/policy/check",
            {
                "body": f"Book at https://{business.brand_domains[0]}/x or bit.ly/y",
                "kind": "transactional",
            },
            format="json",
        )
        assert r.status_code == 200
        assert r.json()["categories"] == ["link_shortener"]

    def test_validation_error_shape(self, api_client):
        r = api_client.post("/api/v1/policy/check", {"kind": "x"}, format="json")
        assert r.status_code == 400 and "error" in r.json()


@pytest.mark.django_db
class TestSignupGate:
    def test_block_refuses_with_reason_and_creates_nothing(self, client):
        data = {
            **SIGNUP,
            "legal_name": "QuickCash LLC",
            "industry_description": "Payday loans and cash advances.",
        }
        r = client.post("/signup/", data)
        assert r.status_code == 200
        errors = r.context["form"].errors["industry_description"][0]
        assert "We cannot accept this business" in errors and "loan" in errors
        assert not User.objects.exists() and not Business.objects.exists()

    def test_review_creates_pending_business_flagged_for_staff(self, client):
        data = {
            **SIGNUP,
            "industry_description": "Financial planning and retirement planning for families.",
        }
        r = client.post("/signup/", data)
        assert r.status_code == 302
        business = Business.objects.get()
        assert business.vetting_status == Business.Vetting.PENDING_REVIEW
        screening = BusinessScreening.objects.get(business=business)
        assert screening.status == BusinessScreening.Status.OPEN and screening.decision == "review"
        assert screening.categories == ["investment"]
        assert PolicyDecision.objects.filter(business=business, gate="signup").exists()

    def test_clean_business_is_screened_clear(self, client):
        assert client.post("/signup/", SIGNUP).status_code == 302
        assert BusinessScreening.objects.get().status == BusinessScreening.Status.CLEAR
