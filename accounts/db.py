"""Database helpers shared by apps: append-only tables and tables written by one service
only, enforced by PostgreSQL."""

from django.db import migrations


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
