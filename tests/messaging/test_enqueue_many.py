"""message_enqueue_many: the same gates and decisions as message_enqueue, asked once per
batch, one INSERT, idempotent, bad input named by item with nothing written."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.errors import ValidationFailed
from consent import services as consent_services
from consent.models import Method
from messaging import services
from messaging.models import Message
from tests.factories.consent import ContactFactory
from tests.factories.messaging import consenting_contact, sending_number

S = Message.Status
pytestmark = pytest.mark.django_db

OK_BODY = "Bright Smile: your cleaning is due this month. Reply STOP to opt out."
BAD_BODY = "Get a payday loan today, guaranteed approval! Reply STOP to opt out."


def _contacts(business, number):
    consenting = [consenting_contact(business=business, number=number) for _ in range(3)]
    stranger = ContactFactory(business=business)
    stopped = consenting_contact(business=business, number=number)
    consent_services.consent_record_opt_out(
        business=business, contact=stopped, method=Method.KEYWORD, scope_all=True
    )
    return [*consenting, stranger, stopped]


def _outcome(m: Message):
    return (m.status, [r["code"] for r in m.reasons], m.priority, m.segments, m.from_number_id)


def test_same_decisions_as_one_by_one(business, settings):
    number = sending_number(business=business)
    people = _contacts(business, number)
    items = [
        services.Outgoing(contact=c, body=body, kind="marketing", from_number=number)
        for c in people
        for body in (OK_BODY, BAD_BODY)
    ]
    many = services.message_enqueue_many(business=business, items=items)
    single = [
        services.message_enqueue(
            business=business,
            body=it.body,
            kind=it.kind,
            contact=it.contact,
            from_number=it.from_number,
        )
        for it in items
    ]
    assert [_outcome(m) for m in many] == [_outcome(m) for m in single]
    statuses = {m.status for m in many}
    # the mix really is mixed (queued, or scheduled when the test runs in quiet hours)
    assert statuses & {S.QUEUED, S.SCHEDULED} and S.BLOCKED in statuses
    assert all(m.pk for m in many)
    assert Message.objects.filter(business=business).count() == 2 * len(items)


def test_queries_do_not_grow_with_the_batch(business):
    number = sending_number(business=business)
    people = [consenting_contact(business=business, number=number) for _ in range(30)]

    def run(contacts, tag):
        items = [
            services.Outgoing(
                contact=c,
                body=OK_BODY,
                kind="marketing",
                from_number=number,
                idempotency_key=f"{tag}:{c.pk}",
            )
            for c in contacts
        ]
        with CaptureQueriesContext(connection) as ctx:
            out = services.message_enqueue_many(business=business, items=items)
        assert all(m.status in (S.QUEUED, S.SCHEDULED) for m in out)
        return len(ctx.captured_queries)

    run(people[:1], "warm")  # first use loads the policy rules into the process cache
    assert run(people[:3], "small") == run(people, "large")


def test_idempotency_keys_return_the_first_message(business):
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    first = services.message_enqueue(
        business=business, body=OK_BODY, kind="marketing", contact=contact, idempotency_key="k"
    )
    again = services.message_enqueue_many(
        business=business,
        items=[
            services.Outgoing(
                contact=contact,
                body="other",
                kind="marketing",
                from_number=number,
                idempotency_key="k",
            ),
            services.Outgoing(
                contact=contact,
                body=OK_BODY,
                kind="marketing",
                from_number=number,
                idempotency_key="k2",
            ),
        ],
    )
    assert again[0].pk == first.pk and again[1].pk != first.pk
    assert Message.objects.filter(business=business).count() == 2


def test_bad_item_is_named_and_nothing_is_written(business, other_business):
    number = sending_number(business=business)
    foreign = sending_number(business=other_business)
    contact = consenting_contact(business=business, number=number)
    with pytest.raises(ValidationFailed) as exc:
        services.message_enqueue_many(
            business=business,
            items=[
                services.Outgoing(
                    contact=contact, body=OK_BODY, kind="marketing", from_number=number
                ),
                services.Outgoing(contact=contact, body=" ", kind="marketing", from_number=number),
                services.Outgoing(contact=contact, body=OK_BODY, kind="nope", from_number=foreign),
            ],
        )
    assert set(exc.value.fields) == {
        "items[1].body",
        "items[2].kind",
        "items[2].from_number",
    }
    assert not Message.objects.filter(business=business).exists()


def test_one_kick_per_number_and_none_while_a_drain_is_expected(
    business, monkeypatch, django_capture_on_commit_callbacks
):
    from messaging.models import SendLane

    sent = []
    monkeypatch.setattr(
        "messaging.tasks.drain_number.apply_async", lambda args, **kw: sent.append((args, kw))
    )
    numbers = [sending_number(business=business) for _ in range(4)]
    people = [consenting_contact(business=business, number=n) for n in numbers for _ in range(3)]

    def enqueue(tag):
        items = [
            services.Outgoing(
                contact=c,
                body=OK_BODY,
                kind="transactional",
                from_number=numbers[i % 4],
                idempotency_key=f"{tag}:{i}",
            )
            for i, c in enumerate(people)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            services.message_enqueue_many(business=business, items=items)

    enqueue("a")
    assert sorted(a[0] for a, _ in sent) == sorted(n.pk for n in numbers)
    assert all("queue" not in kw for _, kw in sent)  # bulk kicks stay off the urgent queue
    assert SendLane.objects.filter(number__in=numbers, drain_at__isnull=False).count() == 4
    enqueue("b")  # drains are already expected: no new task
    assert len(sent) == 4


def test_a_single_send_kicks_on_the_urgent_queue(
    business, settings, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(
        "messaging.tasks.drain_number.apply_async", lambda args, **kw: sent.append((args, kw))
    )
    number = sending_number(business=business)
    contact = consenting_contact(business=business, number=number)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_enqueue(
            business=business,
            body=OK_BODY,
            kind="transactional",
            contact=contact,
            from_number=number,
        )
    assert sent == [((number.pk,), {"eta": None, "queue": settings.MESSAGING_URGENT_QUEUE})]


def test_a_key_taken_by_a_concurrent_request_resolves_to_its_first_message(business, monkeypatch):
    from consent import selectors as consent_selectors

    number = sending_number(business=business)
    people = [consenting_contact(business=business, number=number) for _ in range(3)]
    real = consent_selectors.consent_check_many

    def another_request_wins_the_second_key(**kw):
        # between this batch's key lookup and its INSERT, a single send takes key 1
        services.message_enqueue(
            business=business,
            body=OK_BODY,
            kind="transactional",
            contact=people[1],
            idempotency_key="k1",
        )
        monkeypatch.setattr(consent_selectors, "consent_check_many", real)
        return real(**kw)

    monkeypatch.setattr(
        consent_selectors, "consent_check_many", another_request_wins_the_second_key
    )
    out = services.message_enqueue_many(
        business=business,
        items=[
            services.Outgoing(
                contact=p,
                body=OK_BODY,
                kind="transactional",
                from_number=number,
                idempotency_key=f"k{i}",
            )
            for i, p in enumerate(people)
        ],
    )
    first = Message.objects.get(idempotency_key="k1")
    assert [m.idempotency_key for m in out] == ["k0", "k1", "k2"]
    assert out[1].pk == first.pk
    assert Message.objects.filter(business=business).count() == 3
