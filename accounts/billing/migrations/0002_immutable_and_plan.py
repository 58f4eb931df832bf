"""Issued invoices are immutable in PostgreSQL too: lines and credit notes are append-only,
an invoice's number, period, currency and total never change once issued, and an invoice
is never deleted. Plus the default plan and its first prices."""

from django.db import migrations

from accounts.billing import defaults
from accounts.db import append_only_operation


def frozen_operation(table: str, columns: tuple[str, ...], what: str) -> migrations.RunSQL:
    """``table`` refuses DELETE, and UPDATE of ``columns`` (the other columns may move:
    an invoice's status and payment, a credit note's refund id)."""
    function = f"{table}_frozen"
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION '{table}: {what} is never deleted';
            END IF;
            IF {changed} THEN
                RAISE EXCEPTION '{table}: {what} is immutable once issued';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function}_trg ON {table};
        CREATE TRIGGER {function}_trg BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
    """
    backward = f"DROP TRIGGER IF EXISTS {function}_trg ON {table}; DROP FUNCTION IF EXISTS {function}();"
    return migrations.RunSQL(forward, backward, elidable=False)


def default_plan(apps, schema_editor):
    Plan = apps.get_model("billing", "Plan")
    PriceVersion = apps.get_model("billing", "PriceVersion")
    plan, _ = Plan.objects.get_or_create(slug=defaults.PLAN["slug"], defaults=defaults.PLAN)
    first = dict(defaults.FIRST_PRICES)
    PriceVersion.objects.get_or_create(
        plan=plan, effective_from=first.pop("effective_from"), defaults=first
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [
        append_only_operation("billing_invoiceline"),
        frozen_operation(
            "billing_invoice",
            ("number", "business_id", "period_start", "period_end", "currency", "total_cents",
             "issued_at"),
            "an issued invoice (correct it with a credit note)",
        ),
        frozen_operation(
            "billing_creditnote",
            ("number", "business_id", "invoice_id", "amount_cents", "reason", "issued_at"),
            "a credit note",
        ),
        migrations.RunPython(default_plan, migrations.RunPython.noop),
    ]
