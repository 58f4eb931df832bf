"""The dependency-audit step (.ci/audit) fails on a known vulnerability, passes a clean
audit, and says plainly when no advisory service could be reached.

pip-audit and the advisory services lie outside the project: a stand-in ``pip_audit``
module answers as pip-audit does (its JSON report), per service.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "audit"

CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}
VULNERABLE = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.1",
            "vulns": [
                {"id": "PYSEC-2025-1", "fix_versions": ["5.2.2"], "aliases": [], "description": ""}
            ],
        },
        {"name": "requests", "version": "2.32.4", "vulns": []},
    ],
    "fixes": [],
}
NOT_FOUND = {
    "dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"}
    ],
    "fixes": [],
}


def _run(tmp_path: Path, answers: dict[str, dict | None]) -> subprocess.CompletedProcess:
    fake = tmp_path / "pip_audit"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import json, sys\n"
        f"answers = json.loads({json.dumps(json.dumps(answers))})\n"
        "service = sys.argv[sys.argv.index('--vulnerability-service') + 1]\n"
        "if answers.get(service) is None:\n"
        "    sys.exit('ConnectionError: Failed to resolve host')\n"
        "print(json.dumps(answers[service]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_known_vulnerability_fails_the_build(tmp_path):
    result = _run(tmp_path, {"pypi": VULNERABLE, "osv": CLEAN})
    assert result.returncode == 1, result.stdout
    assert "django 5.2.1: PYSEC-2025-1 (fixed in: 5.2.2)" in result.stdout


def test_a_clean_audit_passes_and_says_how_much_it_checked(tmp_path):
    result = _run(tmp_path, {"pypi": CLEAN, "osv": None})
    assert result.returncode == 0
    assert "1 of 1 installed packages checked, no known vulnerabilities" in result.stdout


@pytest.mark.parametrize("pypi", [None, NOT_FOUND])
def test_an_unreachable_service_is_said_plainly_not_passed_off_as_clean(tmp_path, pypi):
    result = _run(tmp_path, {"pypi": pypi, "osv": None})
    assert result.returncode == 0
    assert "NOT CHECKED" in result.stdout
    assert "no known vulnerabilities" not in result.stdout


def test_osv_is_asked_when_pypi_cannot_answer(tmp_path):
    result = _run(tmp_path, {"pypi": NOT_FOUND, "osv": VULNERABLE})
    assert result.returncode == 1
    assert "osv: KNOWN VULNERABILITIES" in result.stdout
