"""`make run`'s plumbing: the embedded PostgreSQL, one dialect, and every address derived
from the one web port (the smoke stage, tests/smoke/, runs the whole stack)."""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from config import embedded_pg

ROOT = Path(__file__).resolve().parent.parent


def _settings(env: dict, *names: str) -> list[str]:
    """The values of ``names`` as config.settings.local computes them under ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SITE_", "CARRIER_", "MESSAGING_", "WEB_", "DJANGO_", "PORT"))
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print('\\n'.join(str(getattr(settings, n)) for n in {list(names)!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/x",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_every_address_follows_the_web_port():
    site, carrier, callbacks = _settings(
        {"WEB_PORT": "9100", "PORT": "9300"},  # honcho's own PORT for a process is ignored
        "SITE_URL",
        "CARRIER_URL",
        "MESSAGING_WEBHOOK_BASE_URL",
    )
    assert site == "http://127.0.0.1:9100"
    assert carrier == "http://127.0.0.1:9125"
    assert callbacks == "http://127.0.0.1:9100"  # receipts and replies reach the web port


def test_explicit_addresses_win():
    site, carrier = _settings(
        {"WEB_PORT": "9100", "SITE_URL": "https://portal.example.com", "CARRIER_PORT": "9999"},
        "SITE_URL",
        "CARRIER_URL",
    )
    assert (site, carrier) == ("https://portal.example.com", "http://127.0.0.1:9999")


def test_a_second_sql_dialect_is_refused():
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "sqlite:///var/other.sqlite3"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in done.stderr


@pytest.fixture
def throwaway_pgdata(monkeypatch):
    # a folder other users may traverse: as root the server runs as an unprivileged user
    parent = Path(tempfile.mkdtemp(prefix="cyc-pg-"))
    parent.chmod(0o755)
    monkeypatch.setattr(embedded_pg, "PGDATA", parent / "pgdata")
    yield parent / "pgdata"
    embedded_pg.stop()
    subprocess.run(["rm", "-rf", str(parent)], check=False)


def test_embedded_postgresql_starts_serves_and_stops(throwaway_pgdata):
    assert embedded_pg.stop() is False  # nothing to stop yet
    settings = embedded_pg.database("cyc_embedded")
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["HOST"] == str(throwaway_pgdata)  # a Unix socket in the data folder
    embedded_pg.create_database("cyc_embedded")
    embedded_pg.create_database("cyc_embedded")  # idempotent
    with psycopg.connect(
        dbname="cyc_embedded", user="postgres", host=settings["HOST"], autocommit=True
    ) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "cyc_embedded"
        assert conn.info.server_version >= 160000
    assert embedded_pg.url("cyc_embedded") == (
        f"postgres://postgres@/cyc_embedded?host={throwaway_pgdata}"
    )
    assert embedded_pg.stop() is True
    assert not (throwaway_pgdata / "postmaster.pid").exists()


def test_embedded_postgresql_command_line(throwaway_pgdata, capsys):
    assert embedded_pg.main(["embedded_pg", "start"]) == 0
    assert capsys.readouterr().out.strip() == embedded_pg.url()
    assert embedded_pg.main(["embedded_pg", "url"]) == 0
    assert embedded_pg.main(["embedded_pg", "stop"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert embedded_pg.main(["embedded_pg", "nonsense"]) == 2
