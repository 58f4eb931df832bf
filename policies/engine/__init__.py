"""The policy engine: pure code, no ORM. Compile rules once, then check text against them.

rules = compile_rules(load_fixture())
check_message("Get a p4yday l0an", rules, kind="marketing", brand_domains=["x.com"])
"""

import json
from functools import lru_cache
from pathlib import Path

# first: puts the compiled build of the hot modules on this package's path when it is
# current (accel.py); otherwise they load as pure Python
from . import accel
from .checks import check_campaign, check_conformance, check_links, check_message
from .compiler import CompiledRules, compile_rules
from .fingerprint import fingerprint, simhash
from .knowledge import shipped_knowledge
from .learned import MODEL_PATH, LearnedModel, load_model
from .normalize import normalise
from .screen import screen_business

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_path() -> Path:
    """The newest shipped rules fixture (rules_<version>.json, highest version wins)."""
    return sorted(FIXTURE_DIR.glob("rules_*.json"))[-1]


def load_fixture(path: Path | None = None) -> dict:
    return json.loads((path or fixture_path()).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def shipped_rules() -> CompiledRules:
    """The shipped fixture compiled (tests, benchmarks; the services use the database),
    with the shipped knowledge and learned layer beside it."""
    return with_layers(compile_rules(load_fixture()))


def with_layers(rules: CompiledRules) -> CompiledRules:
    """Attach the shipped knowledge and the shipped learned model (if trained) to ``rules``."""
    rules.knowledge = shipped_knowledge()
    rules.learned = shipped_model()
    return rules


@lru_cache(maxsize=1)
def shipped_model() -> LearnedModel | None:
    return load_model() if MODEL_PATH.exists() else None


def build_info() -> dict[str, str]:
    """Which engine this process runs: {"engine": "compiled" | "python", "why": ...}."""
    return accel.build_state()


__all__ = [
    "CompiledRules",
    "build_info",
    "check_campaign",
    "check_conformance",
    "check_links",
    "check_message",
    "compile_rules",
    "fingerprint",
    "load_fixture",
    "normalise",
    "screen_business",
    "shipped_knowledge",
    "shipped_model",
    "shipped_rules",
    "simhash",
    "with_layers",
]
