"""The learned layer's corpus and training, and staff decisions as new labelled examples.

Where the rows come from (``corpus_paths``): the training corpus written for it
(``policies/corpus/train/``), the old tuning sets (``tests/policies/corpus/*_dev``), and
staff-labelled exports dropped into ``policies/corpus/labels/`` (``policy_export_labels``).
The held-out and frozen sets are never read here.
"""

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings

from .engine import compile_rules, learned, load_fixture
from .engine.compiler import CompiledRules, Vocabulary
from .engine.knowledge import shipped_knowledge
from .scoring import Score, load_jsonl, score_businesses, score_messages

BASE = Path(settings.BASE_DIR)
TRAIN_DIR = BASE / "policies" / "corpus" / "train"
LABELS_DIR = BASE / "policies" / "corpus" / "labels"
OLD_DEV = BASE / "tests" / "policies" / "corpus"


def corpus_paths() -> dict[str, list[Path]]:
    """Training files per gate, in a fixed order (the model's hash covers exactly these)."""
    out: dict[str, list[Path]] = {"message": [], "business": []}
    for gate, stem in (("message", "messages"), ("business", "businesses")):
        out[gate].append(TRAIN_DIR / f"{stem}.jsonl")
        out[gate].append(OLD_DEV / f"{stem}_dev.jsonl")
        out[gate] += sorted(LABELS_DIR.glob(f"{stem}_*.jsonl"))
    return {g: [p for p in ps if p.exists()] for g, ps in out.items()}


def shipped_vocabulary() -> tuple[Vocabulary, str]:
    """The trade vocabularies of the shipped rules fixture (what the model is trained
    with; staff edits in the admin reach the engine through the database) and a hash."""
    data = load_fixture()
    rows = data.get("vocabulary", []) + [
        t for t in data.get("terms", []) if t.get("scope") == "vocabulary"
    ]
    digest = hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()
    return compile_rules({"vocabulary": rows}).vocabulary, digest


def corpus_hash() -> str:
    """The training corpus's files and the shipped vocabularies (features of the model)."""
    paths = corpus_paths()
    files = learned.corpus_hash(paths["message"] + paths["business"])
    _vocab, vocab_hash = shipped_vocabulary()
    return hashlib.sha256(f"{files}:{vocab_hash}".encode()).hexdigest()


def train_from_corpus() -> tuple[learned.LearnedModel, dict]:
    paths = corpus_paths()
    rows = {g: [r for p in ps for r in load_jsonl(p)] for g, ps in paths.items()}
    vocab, _ = shipped_vocabulary()
    meta = {
        "corpus_sha256": corpus_hash(),
        "files": [str(p.relative_to(BASE)) for g in ("message", "business") for p in paths[g]],
    }
    return learned.train(rows["message"], rows["business"], shipped_knowledge(), meta, vocab)


def cross_validated_scores(rules: CompiledRules, folds: int = 5) -> dict[str, Score]:
    """The training corpus scored by the whole engine, each row by a learned layer that
    did not see it (k folds; the other training sources stay in every fold)."""
    paths = corpus_paths()
    train_files = {
        "message": TRAIN_DIR / "messages.jsonl",
        "business": TRAIN_DIR / "businesses.jsonl",
    }
    own = {g: load_jsonl(p) if p.exists() else [] for g, p in train_files.items()}
    other = {g: [r for p in paths[g] if p != train_files[g] for r in load_jsonl(p)] for g in paths}
    k = shipped_knowledge()
    vocab = rules.vocabulary
    out = {"message": Score(), "business": Score()}
    for f in range(folds):
        fold = {g: [r for i, r in enumerate(own[g]) if i % folds != f] for g in own}
        model, _ = learned.train(
            fold["message"] + other["message"], fold["business"] + other["business"], k, {}, vocab
        )
        held = dataclasses.replace(rules, knowledge=k, learned=model)
        out["message"].add(
            score_messages([r for i, r in enumerate(own["message"]) if i % folds == f], held)
        )
        out["business"].add(
            score_businesses([r for i, r in enumerate(own["business"]) if i % folds == f], held)
        )
    return out


# --- staff decisions -> labelled rows ----------------------------------------------------

# Other apps that hold a review queue (messaging's held messages) register a function that
# yields rows in the corpus format: {"id", "body", "kind", "brand_domains", "expected",
# "category", "evasive"}. policies sits below them and imports none of them.
_message_label_sources: list[Callable[[], Iterable[dict]]] = []


def message_label_source_register(fn: Callable[[], Iterable[dict]]) -> None:
    if fn not in _message_label_sources:
        _message_label_sources.append(fn)


def message_labels() -> Iterable[dict]:
    for fn in _message_label_sources:
        yield from fn()
