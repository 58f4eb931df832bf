"""The import contract (pyproject.toml, run by `make lint`) bites, and so does the ban on
``apps.get_model``: a copy of the tree with one import added breaks it, the tree as it is
keeps it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["devtools", "config", "messaging", "consent", "campaigns", "policies", "accounts"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
RUFF = Path(sys.executable).with_name("ruff")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """The product's Python files and pyproject.toml, copied once."""
    tree = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=lambda d, names: (
                [n for n in names if not n.endswith(".py") and not (Path(d) / n).is_dir()]
                + ["__pycache__"]
            ),
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.fixture
def tree(pristine, tmp_path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(pristine, copy)
    return copy


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    # lint-imports reads pyproject.toml and imports the packages from its working directory
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_to(tree: Path, module: str, code: str) -> None:
    """Append ``code`` to the module (a file or a package's __init__)."""
    path = tree / Path(*module.split("."))
    target = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    assert target.exists(), target
    target.write_text(target.read_text() + "\n\n" + code + "\n")


def test_the_tree_as_it_is_keeps_every_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "code", "contract", "named"),
    [
        # a service of the tenant base reaching up into messaging
        (
            "accounts.services",
            "from messaging import models as _upward  # noqa",
            "apps depend downward only",
            "accounts.services -> messaging.models",
        ),
        # an import inside a function counts the same
        (
            "campaigns.selectors",
            "def _later():\n    from consent import selectors\n\n    return selectors",
            "apps depend downward only",
            "campaigns.selectors -> consent.selectors",
        ),
        # a model reaching up two layers
        (
            "policies.models",
            "from campaigns import services as _upward  # noqa",
            "apps depend downward only",
            "policies.models -> campaigns.services",
        ),
        # inside an app, selectors read and never call services
        (
            "consent.selectors",
            "from consent import services as _sideways  # noqa",
            "services > selectors > models",
            "consent.selectors -> consent.services",
        ),
        # the policy engine stays free of the other apps
        (
            "policies.engine",
            "from accounts import models as _tenant  # noqa",
            "the policy engine imports nothing",
            "policies.engine -> accounts.models",
        ),
        # the tenant base knows none of its sub-apps (accounts.portal, .privacy, .public)
        (
            "accounts.services",
            "from accounts.portal import navigation as _shell  # noqa",
            "inside accounts",
            "accounts.services -> accounts.portal.navigation",
        ),
        # the portal shell's registries sit under privacy and the public site
        (
            "accounts.portal.dashboard",
            "from accounts.privacy import exports as _above  # noqa",
            "inside accounts",
            "accounts.portal.dashboard -> accounts.privacy.exports",
        ),
        # the product never imports the development tools, not even from a view
        (
            "messaging.views",
            "from devtools import carrier as _stand_in  # noqa",
            "never imports the development tools",
            "messaging.views -> devtools.carrier",
        ),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tree, module, code, contract, named):
    add_to(tree, module, code)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert named in broken


def test_an_interface_may_orchestrate_across_apps(tree):
    """DESIGN.md: a view, an API view or a task may call a higher app and a lower one."""
    add_to(tree, "accounts.views", "from messaging import services as _orchestrated  # noqa")
    add_to(tree, "campaigns.tasks", "from consent import services as _orchestrated  # noqa")
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr


def _ruff(filename: str, code: str) -> subprocess.CompletedProcess:
    """ruff with the project's configuration on ``code`` as if it were ``filename``."""
    return subprocess.run(
        [str(RUFF), "check", "--select", "TID251", "--stdin-filename", filename, "-"],
        cwd=ROOT,
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
    )


GET_MODEL = 'from django.apps import apps\n\nMessage = apps.get_model("messaging", "Message")\n'


@pytest.mark.parametrize("filename", ["accounts/selectors.py", "consent/services/anything.py"])
def test_apps_get_model_is_banned_outside_migrations(filename):
    result = _ruff(filename, GET_MODEL)
    assert result.returncode == 1
    assert "TID251" in result.stdout
    assert "django.apps.apps.get_model" in result.stdout


def test_migrations_may_use_the_historical_registry():
    result = _ruff("messaging/migrations/0099_data.py", GET_MODEL)
    assert result.returncode == 0, result.stdout
