"""Issue 18, finding 3 (docs/deploy.md, "Two database roles"): the application's role owns
no table, so it can neither disable the ledger's triggers nor truncate it, nor bypass every
trigger with ``session_replication_role``; the ledger's derived tables still refuse its
writes outside the ledger's transaction. A real role on the test database, connecting over
TCP like the application."""

import os

import psycopg
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_role():
    settings = connection.settings_dict
    params = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "dbname": settings["NAME"],
    }
    role = f"cyc_app_test_{os.getpid()}"
    admin = psycopg.connect(user=settings["USER"], autocommit=True, **params)
    admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    admin.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    admin.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    admin.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    try:
        with psycopg.connect(user=role, **params) as app:
            yield app
    finally:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")
        admin.close()


@pytest.mark.parametrize(
    ("statement", "refusal"),
    [
        ("ALTER TABLE consent_consentevent DISABLE TRIGGER ALL", "must be owner"),
        (
            "ALTER TABLE consent_consentstate "
            "DISABLE TRIGGER consent_consentstate_written_inside_trg",
            "must be owner",
        ),
        ("TRUNCATE consent_consentevent", "permission denied"),
        ("TRUNCATE accounts_auditevent", "permission denied"),
        ("SET session_replication_role = replica", "permission denied"),
        ("UPDATE consent_consentstate SET status = 'OPTED_IN'", "written only by"),
        ("DELETE FROM consent_suppression", "written only by"),
        ("DROP TABLE consent_consentevent", "must be owner"),
    ],
)
def test_the_application_role_cannot_get_past_the_ledger_guards(app_role, statement, refusal):
    with pytest.raises(psycopg.Error, match=refusal):
        app_role.execute(statement)
    app_role.rollback()
    # and it still does its job: reads and writes the tables it is granted
    assert app_role.execute("SELECT count(*) FROM consent_consentevent").fetchone()[0] >= 0
