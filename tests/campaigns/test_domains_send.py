"""Tried as a sender would: a text linking to a domain the business lists but has not
proved is refused with the reason, through the API and the portal, and nothing reaches the
(simulated) carrier; once the domain is proved by DNS or by the well-known file, the same
text goes out."""

import pytest
from django.urls import reverse

from campaigns.domains import probes, services
from campaigns.domains.models import BrandDomain
from messaging import dispatch
from messaging.models import Message
from tests.campaigns.domain_stubs import DnsStub, HttpsStub
from tests.factories.messaging import consenting_contact, sending_number

pytestmark = pytest.mark.django_db
S = Message.Status
DOMAIN = "brightsmile.test"
BODY = f"Bright Smile: your cleaning is on Tue 3pm. Details: https://{DOMAIN}/visit. Reply STOP to opt out."  # noqa: E501


@pytest.fixture
def net(tmp_path, settings):
    """The domain's DNS and website, on loopback."""
    dns_stub = DnsStub()
    site = HttpsStub(tmp_path, [DOMAIN])
    dns_stub.add(DOMAIN, "A", "127.0.0.1")
    settings.DOMAINS_DNS_NAMESERVERS = ["127.0.0.1"]
    settings.DOMAINS_DNS_PORT = dns_stub.port
    settings.DOMAINS_HTTPS_PORT = site.port
    settings.DOMAINS_CA_BUNDLE = str(site.ca)
    settings.DOMAINS_ALLOW_PRIVATE_ADDRESSES = True
    yield dns_stub, site
    dns_stub.stop()
    site.stop()


@pytest.fixture
def sender(business):
    """An approved business that lists brightsmile.test and has proved nothing; a number on
    an approved campaign; a consenting client."""
    business.brand_domains = [DOMAIN]
    business.save(update_fields=["brand_domains"])
    BrandDomain.objects.filter(business=business).delete()
    (domain,) = services.brand_domains_sync(business=business)
    number = sending_number(business=business, campaign__embedded_link=True)
    return domain, number, consenting_contact(business=business, number=number)


def _accepted(carrier) -> list[dict]:
    return [e for e in carrier.audit() if not e.get("duplicate")]


def test_api_refuses_an_unverified_link_then_sends_once_dns_proves_it(
    api_client, owner_client, sender, net, provider
):
    domain, number, contact = sender
    dns_stub, _site = net
    response = api_client.post(
        "/api/v1/messages/", {"to": contact.phone_e164, "body": BODY, "kind": "transactional"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "BLOCKED"
    (policy,) = [r for r in data["reasons"] if r["gate"] == "policy"]
    assert policy["message"] == (
        "Brightsmile.test is listed as your domain but is not verified yet; prove you control "
        "it (a DNS TXT record or a file on the site, see Link domains) before texting links to it."
    )
    assert policy["detail"]["categories"] == ["unbranded_link"]
    assert [r["rule_id"] for r in policy["detail"]["reasons"]] == ["link.unverified_domain"]
    dispatch.drain_number(number.pk)
    assert _accepted(provider) == []  # nothing reached the carrier

    # the business adds the DNS record and presses "Check now"
    dns_stub.add(f"_cyc-verify.{DOMAIN}", "TXT", domain.dns_value)
    owner_client.post(reverse("domains:check", args=[domain.uuid]))
    domain.refresh_from_db()
    assert domain.status == BrandDomain.Status.VERIFIED and domain.method == "dns"

    again = api_client.post(
        "/api/v1/messages/", {"to": contact.phone_e164, "body": BODY, "kind": "transactional"},
        format="json",
    )  # fmt: skip
    assert again.json()["status"] == "QUEUED", again.json()
    dispatch.drain_number(number.pk)
    assert [e["body"] for e in _accepted(provider)] == [BODY]


def test_portal_refuses_an_unverified_link_then_sends_once_the_file_proves_it(
    owner_client, sender, net, provider
):
    domain, number, contact = sender
    _dns, site = net
    compose = {
        "to": contact.phone_e164, "body": BODY, "kind": "transactional", "when": "now",
        "zone_basis": "recipient", "action": "send",
    }  # fmt: skip
    response = owner_client.post("/app/compose/", compose)
    message = Message.objects.get()
    assert message.status == S.BLOCKED
    page = owner_client.get(response["Location"]).content.decode()
    assert "Not sent:" in page and "is listed as your domain but is not verified yet" in page
    dispatch.drain_number(number.pk)
    assert _accepted(provider) == []

    # the business publishes the file and presses "Check now"
    site.pages[(DOMAIN, probes.WELL_KNOWN_PATH)] = (200, {}, f"{domain.token}\n".encode())
    page = owner_client.post(reverse("domains:check", args=[domain.uuid]), follow=True)
    assert f"{DOMAIN} is verified" in page.content.decode()
    domain.refresh_from_db()
    assert domain.method == "file"

    owner_client.post("/app/compose/", compose)
    sent = Message.objects.exclude(pk=message.pk).get()
    assert sent.status == S.QUEUED
    dispatch.drain_number(number.pk)
    assert [e["body"] for e in _accepted(provider)] == [BODY]


def test_a_lookalike_of_an_unverified_domain_is_still_refused(api_client, sender, net):
    _domain, _number, contact = sender
    body = "Bright Smile: pay at https://brightsmile-test.example/pay. Reply STOP to opt out."
    data = api_client.post(
        "/api/v1/messages/", {"to": contact.phone_e164, "body": body, "kind": "transactional"},
        format="json",
    ).json()  # fmt: skip
    assert data["status"] == "BLOCKED"
