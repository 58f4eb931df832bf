"""Database helpers shared by apps: append-only tables enforced by PostgreSQL."""

from django.db import migrations


def append_only_operation(table: str, *, nullable_fks: tuple[str, ...] = ()) -> migrations.RunSQL:
    """A migration operation that makes ``table`` refuse UPDATE and DELETE in PostgreSQL.

    ``nullable_fks`` may still be set to NULL (so deleting a referenced user or business
    can detach, not rewrite, history).
    """
    function = f"{table}_append_only"
    allowed = " AND ".join(
        ["(to_jsonb(NEW) - ARRAY[{cols}]) = (to_jsonb(OLD) - ARRAY[{cols}])"]
        + [f"(NEW.{c} IS NULL OR NEW.{c} = OLD.{c})" for c in nullable_fks]
    ).format(cols=", ".join(f"'{c}'" for c in nullable_fks) or "''")
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
    """
    backward = (
        f"DROP TRIGGER IF EXISTS {function}_trg ON {table}; DROP FUNCTION IF EXISTS {function}();"
    )

    return migrations.RunSQL(forward, backward, elidable=False)
