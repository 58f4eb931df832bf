"""`make run`'s process manager: honcho on the Procfile, with time for a warm shutdown,
and the embedded PostgreSQL stopped after the stack.

honcho sends SIGTERM on Ctrl-C and SIGKILLs whatever still runs ``honcho.manager.KILL_WAIT``
seconds later (5). A Celery worker's warm shutdown (finish the running tasks, then exit)
took 4-7 s on these machines, so 5 s cut workers off mid-task; 60 s leaves room for a batch
that is waiting on the carrier (MESSAGING_SEND_TIMEOUT) to finish.

    python -m config.stack start [-f Procfile]   # what `make run` calls
"""

import os
import sys

import honcho.manager
from honcho.command import main as honcho_main

from config import embedded_pg

honcho.manager.KILL_WAIT = int(os.environ.get("STACK_KILL_WAIT", "60"))


def main() -> int:
    try:
        honcho_main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
        if code == 130:  # stopped by Ctrl-C (SIGINT): the way to stop it, not a failure
            code = 0
    else:
        code = 0
    finally:
        if not os.environ.get("DATABASE_URL"):
            embedded_pg.stop()
            print("embedded PostgreSQL stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
