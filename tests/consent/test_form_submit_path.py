"""Issue 18, finding 9 (session 8): what the public form's read brings along, the state row
written with its event, and the form's rate limits in one Redis round trip.

The form's read (``selectors.optin_form_public``) also answers the privacy policy and terms
in force and the number that texts "Reply YES"; each is checked here against the selector
it replaces. The consent tests of the form (test_embed, test_views, test_services) and the
ledger guards run unchanged."""

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign, PhoneNumber
from campaigns.selectors import phone_numbers_for_sending
from consent import ratelimit, selectors
from consent.models import ConsentEvent, ConsentState, Contact
from consent.verify import derived_differences
from messaging.models import Message
from policies.documents import current_versions
from policies.documents_models import PolicyDocument
from tests.factories.campaigns import CampaignFactory, PhoneNumberFactory
from tests.factories.consent import OptInFormFactory

SITE = "https://brightsmile.example"


def _first_sending(business, campaign_id):
    numbers = phone_numbers_for_sending(business=business)
    if campaign_id is not None:
        numbers = numbers.filter(campaign_id=campaign_id)
    return numbers.order_by("id").first()


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_reply_yes_number_is_the_sending_selectors_first(business):
    approved = CampaignFactory(business=business)
    draft = CampaignFactory(business=business, status=Campaign.Status.DRAFT)
    quiet = CampaignFactory(business=business)  # its only number is suspended
    later = PhoneNumberFactory(business=business, campaign=approved)
    PhoneNumberFactory(business=business, campaign=draft)
    PhoneNumberFactory(business=business, campaign=quiet, status=PhoneNumber.Status.SUSPENDED)
    first = PhoneNumberFactory(business=business, campaign=approved)
    PhoneNumber.objects.filter(pk=first.pk).update(id=later.pk - 1000)  # the lower id wins
    form = OptInFormFactory(business=business, campaigns=[approved, draft, quiet])
    with CaptureQueriesContext(connection) as read:
        found = selectors.optin_form_public(form_uuid=form.uuid)
        numbers = found.reply_yes_numbers
        owners = {k: v.campaign for k, v in numbers.items() if v is not None}
    assert len(read.captured_queries) == 1  # the campaigns of the numbers came along
    assert set(numbers) == {approved.pk, draft.pk, quiet.pk}
    for campaign_id, number in numbers.items():
        expected = _first_sending(business, campaign_id)
        assert (number and _fields(number)) == (expected and _fields(expected))
        if number is not None:
            assert _fields(owners[campaign_id]) == _fields(expected.campaign)
    assert numbers[approved.pk].pk == later.pk - 1000
    assert numbers[draft.pk] is None and numbers[quiet.pk] is None


def test_a_form_without_campaigns_texts_from_any_sending_number(business, other_business):
    campaign = CampaignFactory(business=business)
    PhoneNumberFactory(business=other_business)  # never another business's
    PhoneNumberFactory(business=business, campaign=campaign, status=PhoneNumber.Status.RELEASED)
    assert selectors.optin_form_public(
        form_uuid=OptInFormFactory(business=business, scope_kind="informational").uuid
    ).reply_yes_numbers == {None: None}
    sending = PhoneNumberFactory(business=business, campaign=campaign)
    found = selectors.optin_form_public(
        form_uuid=OptInFormFactory(business=business, scope_kind="informational").uuid
    )
    assert list(found.reply_yes_numbers) == [None]
    assert found.reply_yes_numbers[None].pk == sending.pk == _first_sending(business, None).pk


@pytest.mark.parametrize("documents", ["none", "in force, scheduled, unpublished"])
def test_the_policy_versions_come_with_the_form(business, documents):
    now = timezone.now()
    if documents != "none":
        for kind, version, days, published in (
            ("privacy", "8.1", -30, True),
            ("privacy", "8.2", -1, True),  # in force
            ("privacy", "8.3", 10, True),  # scheduled
            ("terms", "8.1", -1, True),  # in force
            ("terms", "8.2", -0.5, False),  # never published
        ):
            PolicyDocument.objects.create(
                kind=kind,
                version=version,
                title=kind,
                body=".",
                effective_at=now + timedelta(days=days),
                published_at=now - timedelta(days=31) if published else None,
            )
    form = OptInFormFactory(business=business)
    found = selectors.optin_form_public(form_uuid=form.uuid)
    assert found.policy_versions_in_force == current_versions("privacy", "terms")
    with CaptureQueriesContext(connection) as read:
        shown = found.policy_version
    assert read.captured_queries == []
    assert shown == form.policy_version  # the model's own reading, by a query
    if documents != "none":
        assert shown == f"form:{form.uuid}:v{form.version};privacy:8.2;terms:8.1"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("double_opt_in", [True, False])
def test_a_new_contacts_state_row_is_written_with_its_event(client, business, double_opt_in):
    campaign = CampaignFactory(business=business, usecase="ACCOUNT_NOTIFICATION", sub_usecases=[])
    PhoneNumberFactory(business=business, campaign=campaign)
    form = OptInFormFactory(
        business=business,
        allowed_origins=[SITE],
        campaigns=[campaign],
        double_opt_in=double_opt_in,
    )
    data = {"phone": "3125550190", "consent": "1", "age_confirmed": "1"}
    response = client.post(f"/f/{form.uuid}/submit/", data, HTTP_ORIGIN=SITE)
    assert response.status_code == 200, response.content
    contact = Contact.objects.get(business=business, phone="+13125550190")
    event = ConsentEvent.objects.get(contact=contact)
    state = ConsentState.objects.get(contact=contact)
    assert state.last_event_id == event.pk and state.event_seq == event.seq
    assert state.campaign_id == campaign.pk and state.scope_kind == ""
    assert state.updated_at == event.created_at
    if double_opt_in:
        assert state.status == ConsentState.Status.PENDING and state.confirmed_at is None
        assert Message.objects.filter(contact=contact, purpose="double_opt_in").count() == 1
    else:
        assert state.status == ConsentState.Status.OPTED_IN
        assert state.confirmed_at == event.created_at
    assert derived_differences(business=business) == []


def test_several_limits_count_in_turn_and_stop_at_the_first_refused():
    caches["default"].clear()
    assert ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    # the IP's third attempt is refused: the phone's counter does not move
    assert not ratelimit.hit_all([("ip:a", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:b", "2/60"), ("phone:x", "3/60")])  # the phone's third
    assert not ratelimit.hit_all([("ip:c", "2/60"), ("phone:x", "3/60")])
    assert ratelimit.hit_all([("ip:d", "2/60")])  # one limit: hit() itself
    # the same counters as hit(): the phone is at 4 of 3, the IP a at 3 of 2
    assert not ratelimit.hit("phone:x", "3/60") and not ratelimit.hit("ip:a", "2/60")
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    for key in ("ip:a", "phone:x", "ip:b"):
        ttl = client.ttl(cache.make_and_validate_key(f"consent:rl:{key}"))
        assert 0 < ttl <= 60  # the window's clock started with its first attempt


def test_an_expired_window_counts_afresh():
    caches["default"].clear()
    assert ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    assert not ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    cache = caches["default"]
    client = cache._cache.get_client(None, write=True)
    client.delete(cache.make_and_validate_key("consent:rl:ip:e"))  # the window ran out
    assert ratelimit.hit_all([("ip:e", "1/1"), ("phone:y", "5/60")])
    assert int(client.get(cache.make_and_validate_key("consent:rl:phone:y"))) == 2


@pytest.mark.django_db(transaction=True)
def test_a_submission_is_eleven_statements_four_under_the_chain_lock(client, business):
    # was 14 (tests/messaging/test_request_cost.py): the policy versions and the "Reply YES"
    # number come with the form's read, the new state row with its event's INSERT
    campaign = CampaignFactory(business=business)
    PhoneNumberFactory(business=business, campaign=campaign)
    form = OptInFormFactory(business=business, allowed_origins=[SITE], campaigns=[campaign])
    url = f"/f/{form.uuid}/submit/"
    first = {"phone": "3125550191", "consent": "1", "age_confirmed": "1"}
    assert client.post(url, first, HTTP_ORIGIN=SITE).status_code == 200  # heads and lanes
    with CaptureQueriesContext(connection) as submitted:
        data = {"phone": "3125550192", "consent": "1", "age_confirmed": "1"}
        assert client.post(url, data, HTTP_ORIGIN=SITE).status_code == 200
    sql = [q["sql"] for q in submitted.captured_queries]
    assert len(sql) <= 11, "\n".join(s[:150] for s in sql)
    assert not [s for s in sql if "policies_policydocument" in s and "consent_optinform" not in s]
    assert not [s for s in sql if s.startswith('SELECT "campaigns_phonenumber"')]
    locked = next(i for i, s in enumerate(sql) if 'FROM "consent_chainhead"' in s)
    assert sql[locked + 3] == "COMMIT"  # chain head, suppression, event + state, COMMIT
    contact = Contact.objects.get(business=business, phone="+13125550192")
    assert Message.objects.get(contact=contact, purpose="double_opt_in").from_number_id
    assert derived_differences(business=business) == []
