"""Database helpers shared by apps: append-only tables and tables written by one service
only, enforced by PostgreSQL; and statements written once per process for the hot request
paths (``columns``, ``instance``, ``row_insert``)."""

import inspect
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    migrations,
    models,
)
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init

M = TypeVar("M", bound=models.Model)
T = TypeVar("T")


def _quoted(name: str | None) -> str:
    assert name is not None  # a concrete field's column, a model's table
    return connection.ops.quote_name(name)


# --- hot paths: SQL written once per process -------------------------------------------------
# Django's ORM compiles every statement anew (about 1 ms of CPU each on these machines, most
# of a send through the API and of the opt-in form: bench_load, docs/reliability.md). The
# few statements of those paths are written once, from the models' own field lists (a new
# column is in them without a change here), and run with parameters; rows become model
# instances through the converters the ORM would apply (``columns``, ``instance``).


def read_health_checked(read: Callable[[], T]) -> T:
    """``read()`` — one read-only statement — standing in for ``CONN_HEALTH_CHECKS``' own
    ``SELECT 1``, one round trip less on a request whose first statement it is (the API key
    of every API request). Django checks a reused connection before a request's first
    statement, so that a restarted database does not fail the request; here the read is
    that check: a read that fails on a connection that no longer works is run again on a
    new one, as Django would have reconnected before it. Inside a transaction, or once the
    request's check is done, it is ``read()``."""
    conn: Any = _wrapper()  # django-stubs lack the health check's attributes
    if conn.connection is None or not conn.health_check_enabled or conn.health_check_done:
        return read()
    if conn.in_atomic_block:
        return read()
    conn.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if conn.is_usable():
            raise  # the statement failed, not the connection
        conn.close()
        return read()


@cache
def _shape(model: type[models.Model]) -> tuple[list[str], list, tuple[str, ...] | None]:
    fields = list(model._meta.concrete_fields)
    converters = []
    for i, field in enumerate(fields):
        col = field.get_col(model._meta.db_table)
        fns = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if fns:
            converters.append((i, col, fns))
    return [f.attname for f in fields], converters, _set_through(model, fields)


def _set_through(model: type[models.Model], fields: list) -> tuple[str, ...] | None:
    """The attributes ``instance`` sets through the class's descriptor, as ``Model.__init__``
    does (one whose ``__set__`` does more than store: a phone number's parses what it is
    given); the others go into the instance's ``__dict__``, where ``__init__``'s ``setattr``
    puts them (a foreign key's id only drops a cached object, and a new instance has none).
    None when the model is not built by ``Model.__init__`` and ``from_db`` alone."""
    generic = (models.Model.__init__, getattr(models.Model.from_db, "__func__", None))
    if (model.__init__, getattr(model.from_db, "__func__", None)) != generic:
        return None
    through = []
    for field in fields:
        descriptor = inspect.getattr_static(model, field.attname, None)
        kind = type(descriptor)
        if hasattr(kind, "__set__") and kind is not ForeignKeyDeferredAttribute:
            through.append(field.attname)
    return tuple(through)


@cache
def columns(model: type[models.Model], alias: str) -> str:
    """The model's columns for a SELECT list, in the order ``instance`` reads them."""
    return ", ".join(f"{alias}.{_quoted(f.column)}" for f in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    return len(model._meta.concrete_fields)


def _wrapper():
    """This thread's database wrapper itself: ``django.db.connection`` is a proxy that looks
    it up again on every attribute (a thread-local read each), dozens of times a send when
    passed to the fields' converters and preparations."""
    return connections[DEFAULT_DB_ALIAS]


def instance(model: type[M], values) -> M:
    """The model instance of one row's ``columns(model)`` values, converted as the ORM does,
    as ``model.from_db`` builds it, without ``Model.__init__``'s generic walk (a quarter of
    the CPU of reading the key, contact and number rows of an API send) while no receiver
    of ``pre_init`` or ``post_init`` is connected; with one, through ``from_db`` itself."""
    names, converters, through = _shape(model)
    values = list(values)
    conn = _wrapper()
    for i, col, fns in converters:
        value = values[i]
        for fn in fns:
            value = fn(value, col, conn)
        values[i] = value
    if through is None or pre_init.receivers or post_init.receivers:
        return model.from_db(conn.alias, names, values)
    obj = model.__new__(model)
    obj._state = state = ModelState()
    state.adding = False
    state.db = conn.alias
    attrs = obj.__dict__
    attrs.update(zip(names, values, strict=True))
    for name in through:
        setattr(obj, name, attrs[name])
    return obj


@cache
def _insert_sql(model: type[models.Model]) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    columns = ", ".join(_quoted(f.column) for f in fields)
    sql = (
        f"INSERT INTO {_quoted(meta.db_table)} ({columns}) "  # noqa: S608 - the model's own names
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING {_quoted(meta.pk.column)}"
    )
    return sql, fields


# Fields whose ``get_db_prep_save`` gives back a value of these types unchanged on
# PostgreSQL (exact field classes: a subclass may prepare differently): ``prepared`` skips
# their preparation, 31 calls through each field's chain of methods on every send (about
# 45 us of CPU); and a None, which each of them (and a key's id) prepares to None, as the
# NULL it stores. Anything else takes the field's own way.
_UNCHANGED: dict[type[models.Field], Callable[[Any], bool]] = {
    models.CharField: lambda v: isinstance(v, str),  # a TextChoices member too
    models.TextField: lambda v: isinstance(v, str),
    models.BooleanField: lambda v: type(v) is bool,
    # (integer fields are not: psycopg's Int2/Int4/Int8 wrappers type them for the server)
    models.UUIDField: lambda v: isinstance(v, uuid.UUID),  # a native uuid column
    # aware: a naive one is warned about and made aware by the field
    models.DateTimeField: lambda v: isinstance(v, datetime) and v.utcoffset() is not None,
}
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _is_id(value) -> bool:
    return type(value) is int  # not a bool


def _unchanged(field: models.Field) -> Callable[[Any], bool] | None:
    """The test of a value ``field`` would store as it is, or None (always prepare)."""
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
        return None  # computed by pre_save
    if type(field).pre_save not in (models.Field.pre_save, models.DateTimeField.pre_save):
        return None  # other fields that compute their value
    if type(field) is models.ForeignKey and type(field.target_field) in _AUTO_KEYS:
        return _is_id  # the target's id, as an automatic key prepares it: unchanged
    return _UNCHANGED.get(type(field))


@cache
def _preparations(fields: tuple[models.Field, ...]) -> tuple:
    return tuple((f, f.name, f.attname, _unchanged(f)) for f in fields)


@cache
def _insert_preparations(model: type[models.Model]) -> tuple:
    """``_preparations`` of the model's INSERT, found by the model: a tuple of fields as the
    key costs each field's ``__hash__``, a Python call, 31 a send."""
    return _preparations(_insert_sql(model)[1])


def prepared(obj: models.Model, fields=None, **given) -> list:
    """The INSERT's values of ``obj`` (for ``fields``; None: its model's INSERT's): each
    field's ``pre_save`` and ``get_db_prep_save``, as ``save(force_insert=True)`` gives them,
    on the database wrapper itself (not the proxy); a value that preparation would give back
    unchanged is taken as it is (``_unchanged``), and so is a field named in ``given``: a
    value the caller holds in its database form already (a phone number normalized to
    E.164, which phonenumber-field would parse, format and validate again)."""
    conn = _wrapper()
    values = []
    attrs = obj.__dict__
    for field, name, attname, unchanged in (
        _insert_preparations(type(obj)) if fields is None else _preparations(tuple(fields))
    ):
        if name in given:
            values.append(given[name])
            continue
        if unchanged is not None and attname in attrs:
            value = attrs[attname]
            if value is None or unchanged(value):
                values.append(value)
                continue
        values.append(field.get_db_prep_save(field.pre_save(obj, True), conn))
    return values


def row_insert(obj: M) -> M:
    """INSERT ``obj`` (a new row with an automatic primary key) as ``save(force_insert=True)``
    would (each field's default, ``pre_save`` and database preparation), from a statement
    written once per model; no signals are sent. Returns ``obj`` with its primary key."""
    sql, _fields = _insert_sql(type(obj))
    conn = _wrapper()
    params = prepared(obj)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        (obj.pk,) = cursor.fetchone()
    obj._state.adding = False
    obj._state.db = conn.alias
    return obj


def row_insert_with(obj: M, *, ctes: str, select: str, params: list) -> tuple:
    """``row_insert`` and more work in the same statement (one round trip, one implicit
    transaction in autocommit): ``ctes`` are further common table expressions (data-modifying
    ones run with the INSERT, on the same snapshot), ``select`` the values to return after
    the new primary key, ``params`` theirs. Returns those values."""
    sql, _fields = _insert_sql(type(obj))
    conn = _wrapper()
    values = prepared(obj)
    pk = _quoted(type(obj)._meta.pk.column)
    with conn.cursor() as cursor:
        cursor.execute(
            f"WITH inserted AS ({sql}), {ctes} SELECT (SELECT {pk} FROM inserted), {select}",  # noqa: S608 - the caller's own SQL
            [*values, *params],
        )
        obj.pk, *more = cursor.fetchone()
    obj._state.adding = False
    obj._state.db = conn.alias
    return tuple(more)


def _truncate_guard_sql(table: str) -> tuple[str, str]:
    function = f"{table}_no_truncate"
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: TRUNCATE refused';
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function}_trg ON {table};
        CREATE TRIGGER {function}_trg BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}();
    """
    backward = (
        f"DROP TRIGGER IF EXISTS {function}_trg ON {table}; DROP FUNCTION IF EXISTS {function}();"
    )
    return forward, backward


def append_only_operation(table: str, *, nullable_fks: tuple[str, ...] = ()) -> migrations.RunSQL:
    """A migration operation that makes ``table`` refuse UPDATE, DELETE and TRUNCATE in
    PostgreSQL. TRUNCATE fires no row trigger (``TRUNCATE … CASCADE`` from a referenced
    table empties this one too): a statement-level trigger refuses it.

    ``nullable_fks`` may still be set to NULL (so deleting a referenced user or business
    can detach, not rewrite, history).
    """
    function = f"{table}_append_only"
    allowed = " AND ".join(
        ["(to_jsonb(NEW) - ARRAY[{cols}]) = (to_jsonb(OLD) - ARRAY[{cols}])"]
        + [f"(NEW.{c} IS NULL OR NEW.{c} = OLD.{c})" for c in nullable_fks]
    ).format(cols=", ".join(f"'{c}'" for c in nullable_fks) or "''")
    truncate_forward, truncate_backward = _truncate_guard_sql(table)
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION '{table} is append-only: DELETE refused';
            END IF;
            IF {allowed if nullable_fks else "FALSE"} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '{table} is append-only: UPDATE refused';
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function}_trg ON {table};
        CREATE TRIGGER {function}_trg BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
        {truncate_forward}
    """
    backward = (
        f"DROP TRIGGER IF EXISTS {function}_trg ON {table}; DROP FUNCTION IF EXISTS {function}();"
        f"{truncate_backward}"
    )

    return migrations.RunSQL(forward, backward, elidable=False)


def no_truncate_operation(table: str) -> migrations.RunSQL:
    """The TRUNCATE guard of ``append_only_operation`` alone: for the tables made
    append-only before it refused TRUNCATE."""
    forward, backward = _truncate_guard_sql(table)
    return migrations.RunSQL(forward, backward, elidable=False)


def written_inside_operation(table: str, *, setting: str, writer: str) -> migrations.RunSQL:
    """A migration operation that makes ``table`` refuse INSERT, UPDATE, DELETE and TRUNCATE
    unless the transaction set ``setting`` to 'on' (``SET LOCAL``, or ``set_config(…, true)``):
    only ``writer`` (the service that keeps the table) does. One statement-level check, so a
    bulk COPY costs one call, not one per row.

    A guard against writes that bypass the service (an ORM call elsewhere, a hand-typed
    statement), not against a role that may set the setting itself: the application's
    role must not own the table (docs/deploy.md).
    """
    function = f"{table}_written_inside"
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF coalesce(current_setting('{setting}', true), '') <> 'on' THEN
                RAISE EXCEPTION '{table} is written only by {writer}: % refused', TG_OP;
            END IF;
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function}_trg ON {table};
        CREATE TRIGGER {function}_trg BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}();
    """
    backward = (
        f"DROP TRIGGER IF EXISTS {function}_trg ON {table}; DROP FUNCTION IF EXISTS {function}();"
    )
    return migrations.RunSQL(forward, backward, elidable=False)
