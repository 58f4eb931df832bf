"""Verified link domains (campaigns.domains): the probes against a local DNS stub and a local
HTTPS site, the services, the portal page, the admin, and the link check that reads them."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from campaigns import services as campaign_services
from campaigns.domains import probes, selectors, services
from campaigns.domains.models import BrandDomain
from policies import services as policies
from tests.campaigns.conftest import campaign_input
from tests.campaigns.domain_stubs import DnsStub, HttpsStub
from tests.factories.accounts import BusinessFactory
from tests.factories.campaigns import BrandFactory

pytestmark = pytest.mark.django_db
V = BrandDomain.Status


@pytest.fixture
def dns_stub(settings):
    stub = DnsStub()
    settings.DOMAINS_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.DOMAINS_DNS_PORT = stub.port
    settings.DOMAINS_TIMEOUT = 1.0
    yield stub
    stub.stop()


@pytest.fixture
def site(tmp_path, settings, dns_stub):
    """An HTTPS site on loopback for brightsmile.test and its look-alikes; the names resolve
    to 127.0.0.1 through the DNS stub, which only the test setting lets the probe fetch."""
    names = ["brightsmile.test", "www.brightsmile.test", "elsewhere.test", "wrongname.test"]
    stub = HttpsStub(tmp_path, names[:3])
    for name in names:
        dns_stub.add(name, "A", "127.0.0.1")
    settings.DOMAINS_HTTPS_PORT = stub.port
    settings.DOMAINS_CA_BUNDLE = str(stub.ca)
    settings.DOMAINS_ALLOW_PRIVATE_ADDRESSES = True
    yield stub
    stub.stop()


@pytest.fixture
def unproven(business):
    """The business lists brightsmile.test and has proved nothing."""
    business.brand_domains = ["brightsmile.test"]
    business.save(update_fields=["brand_domains"])
    BrandDomain.objects.filter(business=business).delete()
    (domain,) = services.brand_domains_sync(business=business)
    return domain


def _config(**kw):
    return services.probe_config().__class__(**{**services.probe_config().__dict__, **kw})


# --- probes ---------------------------------------------------------------------------------


def test_dns_probe_finds_the_record_at_the_domain_or_its_verify_name(dns_stub):
    config = services.probe_config()
    assert not probes.dns_probe(domain="a.test", token="t1", config=config).ok
    dns_stub.add("a.test", "TXT", "v=spf1 -all", "cyc-verify=t1")
    assert probes.dns_probe(domain="a.test", token="t1", config=config).ok
    dns_stub.add("_cyc-verify.b.test", "TXT", "cyc-verify=t2")
    result = probes.dns_probe(domain="b.test", token="t2", config=config)
    assert result.ok and "_cyc-verify.b.test" in result.message
    # another token, or the token without its prefix, proves nothing
    dns_stub.add("c.test", "TXT", "cyc-verify=someone-else", "t3")
    result = probes.dns_probe(domain="c.test", token="t3", config=config)
    assert not result.ok and "cyc-verify=t3" in result.message


def test_dns_probe_times_out_and_says_so(dns_stub, settings):
    settings.DOMAINS_TIMEOUT = 0.3
    dns_stub.silent.add("slow.test")
    result = probes.dns_probe(domain="slow.test", token="t", config=services.probe_config())
    assert not result.ok and "did not answer" in result.message


def test_file_probe_reads_the_well_known_file(site):
    site.pages[("brightsmile.test", probes.WELL_KNOWN_PATH)] = (200, {}, b"tok-1\n")
    result = probes.file_probe(domain="brightsmile.test", token="tok-1", config=_config())
    assert result.ok, result.message
    assert site.requests[-1] == ("brightsmile.test", probes.WELL_KNOWN_PATH)
    assert not probes.file_probe(domain="brightsmile.test", token="tok-2", config=_config()).ok


def test_file_probe_follows_a_redirect_on_the_same_host_only(site):
    path = probes.WELL_KNOWN_PATH
    site.pages[("brightsmile.test", path)] = (301, {"Location": "/verify.txt"}, b"")
    site.pages[("brightsmile.test", "/verify.txt")] = (200, {}, b"tok")
    assert probes.file_probe(domain="brightsmile.test", token="tok", config=_config()).ok
    # to another host (which would hold the token) is refused, and that host is never asked
    site.pages[("brightsmile.test", path)] = (
        302, {"Location": "https://elsewhere.test/.well-known/cyc-verify.txt"}, b"",
    )  # fmt: skip
    site.pages[("elsewhere.test", path)] = (200, {}, b"tok")
    result = probes.file_probe(domain="brightsmile.test", token="tok", config=_config())
    assert not result.ok and "redirects to another address" in result.message
    assert ("elsewhere.test", path) not in site.requests
    # to plain HTTP on the same host is refused too
    site.pages[("brightsmile.test", path)] = (302, {"Location": "http://brightsmile.test/x"}, b"")
    assert not probes.file_probe(domain="brightsmile.test", token="tok", config=_config()).ok


def test_file_probe_limits_the_size(site):
    site.pages[("brightsmile.test", probes.WELL_KNOWN_PATH)] = (200, {}, b"tok\n" + b"x" * 5000)
    result = probes.file_probe(domain="brightsmile.test", token="tok", config=_config())
    assert not result.ok and "larger than 1024 bytes" in result.message


def test_file_probe_checks_the_certificate_against_the_domain(site):
    # wrongname.test resolves to the same server, whose certificate does not name it
    site.pages[("wrongname.test", probes.WELL_KNOWN_PATH)] = (200, {}, b"tok")
    result = probes.file_probe(domain="wrongname.test", token="tok", config=_config())
    assert not result.ok and "certificate" in result.message


def test_file_probe_refuses_private_addresses_unless_allowed(site):
    site.pages[("brightsmile.test", probes.WELL_KNOWN_PATH)] = (200, {}, b"tok")
    result = probes.file_probe(
        domain="brightsmile.test", token="tok", config=_config(allow_private=False)
    )
    assert not result.ok and "private or reserved address (127.0.0.1)" in result.message
    assert not site.requests  # refused before connecting


# --- services, selector -----------------------------------------------------------------------


def test_only_verified_listed_domains_count(business, unproven):
    assert selectors.verified_domains(business) == []
    assert policies.brand_domains_verified(business=business) == []  # the registered source
    services.brand_domain_verify_by_staff(domain=unproven, reason="WHOIS matches", actor=None)
    assert selectors.verified_domains(business) == ["brightsmile.test"]
    business.brand_domains = ["other.test"]  # no longer listed: no longer counts
    assert selectors.verified_domains(business) == []


def test_sync_gives_each_listed_domain_its_own_token(business):
    business.brand_domains = ["Shop.Test", "www.blog.test"]
    rows = services.brand_domains_sync(business=business)
    assert sorted(r.domain for r in rows) == ["blog.test", "shop.test"]
    assert len({r.token for r in rows}) == 2 and all(len(r.token) == 32 for r in rows)
    again = services.brand_domains_sync(business=business)  # idempotent: same rows, same tokens
    assert sorted((r.pk, r.token) for r in again) == sorted((r.pk, r.token) for r in rows)


def test_check_verifies_by_dns_and_is_audited(business, unproven, dns_stub, owner):
    dns_stub.add("_cyc-verify.brightsmile.test", "TXT", unproven.dns_value)
    row = services.brand_domain_check(domain=unproven, actor=owner.user)
    assert row.status == V.VERIFIED and row.method == "dns" and row.verified_by == owner.user
    event = AuditEvent.objects.get(action="campaigns.domain.verified")
    assert event.business == business and event.detail["method"] == "dns"


def test_staff_verification_needs_a_reason(unproven, staff_user):
    with pytest.raises(Exception) as exc:
        services.brand_domain_verify_by_staff(domain=unproven, reason=" ", actor=staff_user)
    assert "reason" in exc.value.fields
    unproven.refresh_from_db()
    assert unproven.status == V.PENDING


def test_revoking_stops_links_and_issues_a_new_token(business, unproven, staff_user):
    services.brand_domain_verify_by_staff(domain=unproven, reason="checked", actor=staff_user)
    row = services.brand_domain_revoke(domain=unproven, reason="sold", actor=staff_user)
    assert row.status == V.PENDING and row.token != unproven.token
    assert selectors.verified_domains(business) == []


# --- campaign sample screening ------------------------------------------------------------


def test_campaign_samples_linking_an_unverified_domain_are_refused(business, unproven, owner):
    brand = BrandFactory(business=business, display_name="Bright Smile")
    sample = (
        "Bright Smile: book your cleaning at https://brightsmile.test/book. Reply STOP to opt out."
    )
    draft = campaign_services.campaign_create(
        business=business, brand=brand, actor=owner.user,
        **campaign_input(sample1=sample, embedded_link=True,
                         embedded_link_sample="https://brightsmile.test/book"),
    )  # fmt: skip
    with pytest.raises(campaign_services.CampaignRefused) as exc:
        campaign_services.campaign_submit(campaign=draft, actor=owner.user)
    # the business lists the domain: the reason says so and how to prove it, as for a text
    assert " ".join(exc.value.fields["sample1"]).startswith(
        "brightsmile.test is listed as your domain but is not verified yet"
    )
    services.brand_domain_verify_by_staff(domain=unproven, reason="WHOIS", actor=owner.user)
    draft.refresh_from_db()
    submitted = campaign_services.campaign_submit(campaign=draft, actor=owner.user)
    assert submitted.status != "DRAFT"


# --- portal page ----------------------------------------------------------------------------


def test_page_lists_domains_with_status_token_and_instructions(owner_client, unproven):
    html = owner_client.get(reverse("domains:list")).content.decode()
    assert "brightsmile.test" in html and "Not verified" in html
    assert f"cyc-verify={unproven.token}" in html and "_cyc-verify.brightsmile.test" in html
    assert "https://brightsmile.test/.well-known/cyc-verify.txt" in html
    assert "Check now" in html


def test_check_now_verifies_and_says_what_it_found(
    owner_client, business, unproven, dns_stub, settings
):
    url = reverse("domains:check", args=[unproven.uuid])
    response = owner_client.post(url, follow=True)
    assert "is not verified yet" in response.content.decode()
    asked = len(dns_stub.asked)
    owner_client.post(url)  # pressed again at once: no new look-up
    assert len(dns_stub.asked) == asked
    settings.DOMAINS_CHECK_INTERVAL = 0
    dns_stub.add("brightsmile.test", "TXT", unproven.dns_value)
    response = owner_client.post(url, follow=True)
    html = response.content.decode()
    assert "brightsmile.test is verified" in html and "Verified" in html
    assert selectors.verified_domains(business) == ["brightsmile.test"]


def test_check_now_is_404_for_another_business_domain(owner_client, other_business):
    theirs = BrandDomain.objects.get(business=other_business)
    response = owner_client.post(reverse("domains:check", args=[theirs.uuid]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.last_checked_at is None


def test_check_now_needs_csrf(client, owner, unproven):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner.user)
    response = strict.post(reverse("domains:check", args=[unproven.uuid]))
    assert response.status_code == 403
    unproven.refresh_from_db()
    assert unproven.last_checked_at is None


# --- admin ----------------------------------------------------------------------------------


def test_staff_verify_by_hand_with_a_reason_in_the_admin(staff_client, business, unproven):
    url = reverse("admin:domains_branddomain_changelist")
    data = {"action": "verify_by_hand", "_selected_action": [unproven.pk]}
    page = staff_client.post(url, data)
    assert page.status_code == 200 and "give a reason" in page.content.decode()
    staff_client.post(url, {**data, "apply": "1", "reason": ""})
    unproven.refresh_from_db()
    assert unproven.status == V.PENDING
    staff_client.post(url, {**data, "apply": "1", "reason": "Registrar record shows the owner"})
    unproven.refresh_from_db()
    assert unproven.status == V.VERIFIED and unproven.method == "staff"
    assert unproven.staff_reason == "Registrar record shows the owner"
    event = AuditEvent.objects.get(action="campaigns.domain.verified")
    assert event.detail["reason"] == "Registrar record shows the owner"


def test_factory_businesses_can_opt_out_of_proven_domains():
    b = BusinessFactory(domains_verified=False)
    assert selectors.verified_domains(b) == []


def test_demo_seed_verifies_the_demo_domains():
    from campaigns.domains import demo

    b = BusinessFactory(domains_verified=False, brand_domains=["brightsmile.example"])
    demo.seed(business=b, owner=None)
    demo.seed(business=b, owner=None)  # idempotent
    assert selectors.verified_domains(b) == ["brightsmile.example"]
    assert BrandDomain.objects.get(business=b).method == "staff"
