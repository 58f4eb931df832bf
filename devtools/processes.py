"""Process helpers the benchmarks and the tests share: a free loopback port, a process
tree's CPU, the database URL for a child process."""

import os
import socket
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid = int(fields[1])
        children[ppid].append(int(entry.name))
        stats[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, 0.0)
        todo += children.get(p, [])
    return total


def database_url(db: dict) -> str:
    """A DATABASE_URL for a child process (a worker, gunicorn, the CLI) on the database that
    ``db`` (a Django ``settings_dict``) names: over TCP, or through a Unix-socket folder, as
    the embedded PostgreSQL of `make run` and `make test` listens (config/embedded_pg.py)."""
    host = (db.get("OPTIONS") or {}).get("host") or db.get("HOST") or "127.0.0.1"
    user = quote(db.get("USER") or "postgres", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(host)}"
    return f"postgres://{user}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
