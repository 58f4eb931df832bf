"""The hot path's statements written once per process (accounts.db, issue 18 finding 9):
the rows they read are the instances the ORM builds, and ``row_insert`` stores what
``save()`` stores."""

from datetime import timedelta

import psycopg
import pytest
from django.db import ProgrammingError, connection
from django.db.models.signals import post_init
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from accounts import selectors as account_selectors
from accounts.db import (
    _insert_sql,
    _preparations,
    columns,
    instance,
    prepared,
    read_health_checked,
    row_insert,
)
from accounts.errors import NotFound
from accounts.models import ApiKey
from campaigns.selectors import phone_number_with_campaign_get
from consent.models import Contact
from consent.selectors import contact_get
from devtools.processes import database_url
from messaging.models import Message
from tests.conftest import make_api_client
from tests.factories.consent import ContactFactory
from tests.factories.messaging import sending_number


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_a_contact_read_by_hand_is_the_orm_s_contact(business, other_business):
    contact = ContactFactory(
        business=business,
        tags=["vip", "new"],
        custom_fields={"pet": "Rex", "visits": 3},
        last_inbound_at=timezone.now(),
    )
    with CaptureQueriesContext(connection) as read:
        found = contact_get(business=business, contact_uuid=str(contact.uuid))
    assert len(read.captured_queries) == 1
    expected = Contact.objects.get(pk=contact.pk)
    assert _fields(found) == _fields(expected)
    assert found.custom_fields == {"pet": "Rex", "visits": 3}  # JSON converted, not text
    assert found.phone_e164 == expected.phone_e164  # the phone field's own converter
    assert not found._state.adding
    for business_, key in ((other_business, contact.uuid), (business, "not-a-uuid")):
        with pytest.raises(NotFound):
            contact_get(business=business_, contact_uuid=key)


def test_a_number_read_by_hand_carries_its_campaign(business, other_business):
    number = sending_number(business=business)
    with CaptureQueriesContext(connection) as read:
        found = phone_number_with_campaign_get(business=business, number_uuid=number.uuid)
        campaign = found.campaign  # loaded with it: no second statement
    assert len(read.captured_queries) == 1
    assert _fields(found) == _fields(type(number).objects.get(pk=number.pk))
    assert _fields(campaign) == _fields(type(campaign).objects.get(pk=number.campaign_id))
    for business_, key in ((other_business, number.uuid), (business, "x")):
        with pytest.raises(NotFound):
            phone_number_with_campaign_get(business=business_, number_uuid=key)


def test_a_number_without_a_campaign_has_none(business):
    number = sending_number(business=business)
    type(number).objects.filter(pk=number.pk).update(campaign=None)
    found = phone_number_with_campaign_get(business=business, number_uuid=number.uuid)
    assert found.campaign is None


def test_the_api_key_comes_with_its_business(owner, business):
    make_api_client(owner)
    key = ApiKey.objects.get(business=business)
    with CaptureQueriesContext(connection) as read:
        found = account_selectors.api_key_for_prefix(prefix=key.prefix)
        assert found is not None
        assert found.business.display_name == business.display_name
    assert len(read.captured_queries) == 1
    assert _fields(found) == _fields(key)
    assert _fields(found.business) == _fields(type(business).objects.get(pk=business.pk))
    assert account_selectors.api_key_for_prefix(prefix="nope") is None


@pytest.mark.parametrize("receiver", [False, True])
def test_an_instance_is_the_one_from_db_builds(business, receiver):
    """``instance`` builds what ``Model.from_db`` builds, the phone set through its
    descriptor; with a ``post_init`` receiver connected, through ``from_db`` itself (the
    receiver sees it)."""
    contact = ContactFactory(business=business, tags=["vip"])
    seen = []

    def saw(sender, instance, **kwargs):
        seen.append(instance)

    if receiver:
        post_init.connect(saw, sender=Contact)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns(Contact, 'c')} FROM {Contact._meta.db_table} c WHERE c.id = %s",  # noqa: S608
                [contact.pk],
            )
            row = cursor.fetchone()
        seen.clear()
        built = instance(Contact, row)
    finally:
        post_init.disconnect(saw, sender=Contact)
    expected = Contact.objects.get(pk=contact.pk)
    assert type(built) is Contact
    assert {k: v for k, v in built.__dict__.items() if k != "_state"} == {
        k: v for k, v in expected.__dict__.items() if k != "_state"
    }
    assert (built._state.adding, built._state.db) == (False, expected._state.db)
    assert isinstance(built.phone, PhoneNumber)
    assert built.phone_e164 == contact.phone_e164
    assert built.business.pk == business.pk  # the foreign key reads as the ORM's does
    assert seen == ([built] if receiver else [])


def test_row_insert_stores_what_save_stores(business):
    number = sending_number(business=business)
    contact = ContactFactory(business=business)
    now = timezone.now()

    def message(**extra) -> Message:
        return Message(
            business=business,
            contact=contact,
            direction=Message.Direction.OUTBOUND,
            from_number=number,
            to_phone=contact.phone_e164,
            body="See you Tuesday. Reply STOP to opt out.",
            kind="transactional",
            status=Message.Status.QUEUED,
            reasons=[{"gate": "quiet_hours", "code": "deferred", "message": "later"}],
            send_after=now,
            expires_at=now + timedelta(days=1),
            created_at=now,
            status_changed_at=now,
            **extra,
        )

    by_hand, by_orm = message(idempotency_key="a"), message(idempotency_key="b")
    with CaptureQueriesContext(connection) as wrote:
        assert row_insert(by_hand) is by_hand
    assert len(wrote.captured_queries) == 1
    by_orm.save(force_insert=True)
    assert by_hand.pk and not by_hand._state.adding
    stored, expected = Message.objects.get(pk=by_hand.pk), Message.objects.get(pk=by_orm.pk)
    differ = {"id", "uuid", "idempotency_key"}
    assert {k: v for k, v in model_to_dict(stored).items() if k not in differ} == {
        k: v for k, v in model_to_dict(expected).items() if k not in differ
    }
    assert _fields(stored) == _fields(by_hand)
    assert stored.uuid == by_hand.uuid  # the field's default, as save() would give it


def _prepared_by_the_fields(obj) -> list:
    conn = connection.connection and connection  # the wrapper, connected
    fields = [f for f in type(obj)._meta.concrete_fields if not f.primary_key]
    return [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]


def _comparable(values: list) -> list:
    # psycopg's wrappers (Jsonb, Int2) compare by identity: compare what they carry, typed
    return [(type(v), getattr(v, "obj", v)) for v in values]


def test_the_insert_s_values_are_the_fields_own_preparations(business):
    """``row_insert`` skips the preparation of a value a field would store as it is; every
    value is what the field's own ``pre_save`` and ``get_db_prep_save`` give."""
    number = sending_number(business=business)
    contact = ContactFactory(business=business)
    now = timezone.now()
    connection.ensure_connection()
    messages = [
        Message(
            business=business,
            contact=contact,
            direction=Message.Direction.OUTBOUND,
            from_number=number,
            to_phone=contact.phone_e164,
            body="See you Tuesday. Reply STOP to opt out.",
            kind="transactional",
            status=Message.Status.QUEUED,  # a TextChoices member
            reasons=[{"gate": "kind", "code": "x", "message": "y"}],
            send_after=now,
            expires_at=now + timedelta(days=1),
            created_at=now,
            status_changed_at=now,
            automated=True,
            priority=20,
        ),
        Message(business=business, body="", kind="marketing", idempotency_key=None),
    ]
    contacts = [contact, Contact(business=business, phone=None, name="", tags=[])]
    for obj in [*messages, *contacts]:
        assert _comparable(prepared(obj)) == _comparable(_prepared_by_the_fields(obj)), type(obj)
    # some of the fields, and one given in its database form (the form's contact: its E.164)
    some = [f for f in Contact._meta.concrete_fields if f.name in ("phone", "name", "tags")]
    assert _comparable(prepared(contact, some, phone=contact.phone_e164)) == _comparable(
        [f.get_db_prep_save(f.pre_save(contact, True), connection) for f in some]
    )
    fields = _insert_sql(Message)[1]
    skipped = {f.name for f, _, _, unchanged in _preparations(fields) if unchanged is not None}
    assert {"body", "status", "business", "uuid", "created_at", "automated"} <= skipped
    assert not {"priority", "segments", "reasons"} & skipped  # typed or adapted: prepared


@pytest.mark.django_db(transaction=True)
def test_the_key_s_read_is_the_connection_s_health_check(owner, monkeypatch):
    """A request's first statement, the API key's read, stands in for CONN_HEALTH_CHECKS'
    ``SELECT 1`` (one round trip less), and still recovers from a database restart: the
    read fails on the dead connection and runs again on a new one."""
    make_api_client(owner)
    prefix = ApiKey.objects.get(business=owner.business).prefix
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    checks = []
    real = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or real())

    connection.ensure_connection()
    connection.health_check_done = False  # a new request on a kept connection
    assert account_selectors.api_key_for_prefix(prefix=prefix) is not None
    assert checks == [] and connection.health_check_done

    # the server ends the connection (a restart): the next request's read still answers
    pid = connection.connection.info.backend_pid
    with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.health_check_done = False
    key = account_selectors.api_key_for_prefix(prefix=prefix)
    assert key is not None and key.prefix == prefix
    assert checks == [1]  # asked once, after the failed read
    assert connection.connection.info.backend_pid != pid

    # a failure of the statement itself on a working connection is not retried
    connection.health_check_done = False
    with pytest.raises(ProgrammingError), connection.cursor() as cursor:
        read_health_checked(lambda: cursor.execute("SELECT nope"))
    assert checks == [1, 1]
