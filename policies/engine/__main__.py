"""``python -m policies.engine [--optional]``: compile the engine's hot modules (accel.py).

``--optional`` (``make install``): a machine without a C compiler keeps the pure-Python
engine, with a warning, and the command succeeds."""

import sys

from .accel import BUILD_DIR, build

try:
    built = build()
except Exception as exc:
    print(f"policy engine: not compiled ({exc}); the pure-Python engine runs", file=sys.stderr)
    sys.exit(0 if "--optional" in sys.argv else 1)
print(f"policy engine: compiled {', '.join(built['sources'])} into {BUILD_DIR}")
