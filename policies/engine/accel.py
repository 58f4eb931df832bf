"""The engine compiled to C with mypyc, beside the pure-Python engine it is built from.

``python -m policies.engine`` (``make install`` runs it) compiles the engine's hot
modules (``COMPILED``) from these very sources into ``var/accel/``, with a manifest of the
sources' SHA-256. ``enable()`` (run when the package imports this module, before the
modules it compiles) puts that build first on the package's path only when every compiled
module's source is byte for byte the one it was built from, for this interpreter; else, or with
``POLICY_ENGINE=python`` in the environment, the engine runs as pure Python. The two are
the same code, so they answer the same: ``tests/policies/test_accel.py`` runs
``policy_check`` on every corpus both ways and compares the output byte for byte.

The test suite runs the pure-Python engine (``POLICY_ENGINE=python`` in tests/conftest.py)
so that coverage sees its lines; the CLI, web and worker processes run the build when it
is current. ``engine.build_info()`` says which one a process runs.

This module is never compiled itself, and imports nothing of the engine.
"""

import hashlib
import json
import os
import sys
import sysconfig
from collections.abc import MutableSequence
from pathlib import Path

ENGINE_DIR = Path(__file__).resolve().parent
BASE_DIR = ENGINE_DIR.parent.parent
BUILD_DIR = Path(os.environ.get("POLICY_ENGINE_BUILD_DIR") or BASE_DIR / "var" / "accel")
MANIFEST = "manifest.json"
# the modules a line's check spends its time in; __init__ and this module stay Python
COMPILED = (
    "normalize",
    "compiler",
    "knowledge",
    "links",
    "learned",
    "optout",
    "terms",
    "content",
    "learned_gate",
    "screen",
    "checks",
)

_state: dict[str, str] = {"engine": "python", "why": "not enabled yet"}


def _digest(name: str) -> str:
    return hashlib.sha256((ENGINE_DIR / f"{name}.py").read_bytes()).hexdigest()


def _abi() -> str:
    return f"{sys.implementation.cache_tag}-{sysconfig.get_config_var('EXT_SUFFIX')}"


def build_state() -> dict[str, str]:
    """Which engine this process runs ("compiled" or "python") and why."""
    return dict(_state)


def enable(package_path: MutableSequence[str]) -> bool:
    """Put the current build first on ``package_path`` (the engine package's ``__path__``)
    when it matches the sources; say why not otherwise. Called once, by the package."""
    if os.environ.get("POLICY_ENGINE", "").lower() == "python":
        _state.update(engine="python", why="POLICY_ENGINE=python")
        return False
    try:
        manifest = json.loads((BUILD_DIR / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        _state.update(engine="python", why=f"no build in {BUILD_DIR}")
        return False
    if manifest.get("abi") != _abi():
        _state.update(engine="python", why="the build is for another interpreter")
        return False
    stale = [n for n in COMPILED if manifest.get("sources", {}).get(n) != _digest(n)]
    if stale:
        _state.update(engine="python", why=f"the build is older than {', '.join(stale)}.py")
        return False
    # the modules' own shims go first on the package's path; the shared library they load
    # (one top-level module named by mypyc) last on sys.path, where it shadows nothing
    package_path.insert(0, str(BUILD_DIR / "policies" / "engine"))
    if str(BUILD_DIR) not in sys.path:
        sys.path.append(str(BUILD_DIR))
    _state.update(engine="compiled", why=str(BUILD_DIR))
    return True


def build(out: Path = BUILD_DIR) -> dict:
    """Compile ``COMPILED`` with mypyc into ``out`` and write the manifest last (a build
    cut short is never used)."""
    import shutil
    import tempfile

    from mypyc.build import mypycify  # a dev and build dependency (mypy), not a runtime one
    from setuptools import setup  # type: ignore[import-untyped]

    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    sources = {n: _digest(n) for n in COMPILED}
    paths = [str((ENGINE_DIR / f"{n}.py").relative_to(BASE_DIR)) for n in COMPILED]
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(BASE_DIR)  # mypyc names modules by their path from here
        try:
            modules = mypycify(["--config-file", os.devnull, *paths], opt_level="3", target_dir=tmp)
            setup(
                name="policy-engine-accel",
                ext_modules=modules,
                script_args=[
                    "--quiet",
                    "build_ext",
                    "--build-lib",
                    str(out),
                    "--build-temp",
                    str(Path(tmp) / "obj"),
                ],
            )
        finally:
            os.chdir(cwd)
    shutil.rmtree(out / "build", ignore_errors=True)
    manifest = {"abi": _abi(), "sources": sources}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# imported first by the package (policies/engine/__init__.py), before the modules it compiles
_package = sys.modules.get(__package__ or "")
if _package is not None and _state["why"] == "not enabled yet":
    enable(_package.__path__)
