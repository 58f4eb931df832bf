"""Rules (plain data) compiled once into lookup structures the checks use.

Input: the dict shape of policies/fixtures/rules_*.json (the models export the same shape).
Nothing here touches the ORM, so the CLI, tests and benchmarks share one path.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from policies.decisions import Verdict

from .normalize import canonical_phrase

FUZZY_MIN_LEN = 5


@dataclass(frozen=True, slots=True)
class TermRule:
    rule_id: str
    category: str
    phrase: str
    words: tuple[str, ...]
    verdict: Verdict
    explain: str
    fuzzy: bool
    # (words of the exception phrase, index of this term's first word inside it)
    exceptions: tuple[tuple[tuple[str, ...], int], ...]


@dataclass
class Matcher:
    """Phrase index for one scope (message content, or business industry)."""

    first: dict[str, list[TermRule]] = field(default_factory=dict)  # all rules by first word
    single: dict[str, list[TermRule]] = field(default_factory=dict)  # one-word rules
    pairs: dict[tuple[str, str], list[TermRule]] = field(default_factory=dict)  # first two words
    pair_first: set[str] = field(default_factory=set)  # first words of the pairs
    vocab: set[str] = field(default_factory=set)  # every word of every phrase
    fuzzy_index: dict[str, set[str]] = field(default_factory=dict)  # deletion variant -> words
    # (word, alternative reading) -> (every form it can match as (itself, alt, misspelling
    # of), whether a form starts a rule, whether it may be half of a word split in two)
    fuzzy_memo: dict[tuple, tuple[tuple[str, ...], bool, bool]] = field(default_factory=dict)


@dataclass
class Vocabulary:
    """How each industry describes itself (trade words, euphemisms, product code names):
    not rules (nothing is refused for a word of it) but features of the learned layer,
    ``v:<category>``, so a word staff add counts at once with the weight the model learned
    for its category."""

    single: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word -> categories
    # first word -> (the phrase's words, category) of phrases of two or more words
    multi: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    firsts: frozenset[str] = frozenset()  # every word a phrase starts with
    # (first word, second word) -> the phrases of ``multi`` that start so, in their order
    by_two: dict[tuple[str, str], list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)

    def categories(self, words: list[str], negated: list[bool] | None = None) -> list[str]:
        """``v:<category>`` per phrase found (``not_v:`` inside a negation), once each."""
        out: list[str] = []
        single, by_two = self.single, self.by_two
        firsts = self.firsts
        if firsts.isdisjoint(words):
            return out
        n = len(words)
        for i in [i for i, w in enumerate(words) if w in firsts]:
            w = words[i]
            cats = single.get(w)
            # the phrases that start with this word and the next: a dict lookup, not a
            # comparison with each phrase the word starts ("credit" starts twelve)
            phrases = by_two.get((w, words[i + 1])) if i + 1 < n else None
            if phrases:
                found = [
                    c for ws, c in phrases if len(ws) == 2 or tuple(words[i : i + len(ws)]) == ws
                ]
                cats = (*(cats or ()), *found) if found else cats
            if cats:
                pre = "not_v:" if negated is not None and negated[i] else "v:"
                for c in cats:
                    f = pre + c
                    if f not in out:
                        out.append(f)
        return out


def _build_vocabulary(entries: list[dict]) -> Vocabulary:
    v = Vocabulary()
    single: dict[str, list[str]] = {}
    for e in entries:
        if not e.get("enabled", True):
            continue
        words = canonical_phrase(e["phrase"])
        if not words:
            continue
        if len(words) == 1:
            if e["category"] not in single.setdefault(words[0], []):
                single[words[0]].append(e["category"])
        else:
            v.multi.setdefault(words[0], []).append((words, e["category"]))
    v.single = {w: tuple(cs) for w, cs in single.items()}
    v.firsts = frozenset(v.single) | frozenset(v.multi)
    for phrases in v.multi.values():
        for ws, c in phrases:
            v.by_two.setdefault((ws[0], ws[1]), []).append((ws, c))
    return v


@dataclass
class UseCaseRule:
    rule_id: str
    usecase: str
    category: str
    verdict: Verdict
    explain: str


@dataclass
class CompiledRules:
    version: str
    etag: str
    categories: dict[str, dict]
    content: Matcher
    industry: Matcher
    marketing: Matcher
    shorteners: frozenset[str]
    usecases: dict[str, UseCaseRule]
    fuzzy_stoplist: frozenset[str]
    patterns: list[tuple["re.Pattern[str]", TermRule, str]] = field(default_factory=list)
    marketing_patterns: list["re.Pattern[str]"] = field(default_factory=list)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    # beside the rules (attached by the loaders, see engine.shipped_rules): what symbols and
    # negations mean (knowledge.Knowledge) and the learned layer (learned.LearnedModel)
    knowledge: Any = None
    learned: Any = None
    # derived once by the checks that need them (learned_gate.model_words, ._plain_rules),
    # each with what it was derived from: a copy made by dataclasses.replace with other
    # knowledge derives anew. Declared so a compiled build of this class has the slots.
    _lone_word_rules: tuple[Any, frozenset[str]] | None = field(default=None, repr=False)
    _plain_rule_ids: tuple[Any, frozenset[str]] | None = field(default=None, repr=False)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _exception_offsets(words: tuple[str, ...], exc: tuple[str, ...]) -> list[int]:
    n = len(words)
    return [k for k in range(len(exc) - n + 1) if exc[k : k + n] == words]


def _build_matcher(entries: list[dict], default_explain: dict[str, str]) -> Matcher:
    m = Matcher()
    fuzzy_words: set[str] = set()
    for e in entries:
        if not e.get("enabled", True):
            continue
        words = canonical_phrase(e["phrase"])
        if not words:
            continue
        excs = []
        for ex in e.get("exceptions", []):
            ex_words = canonical_phrase(ex)
            for k in _exception_offsets(words, ex_words):
                excs.append((ex_words, k))
        rule = TermRule(
            rule_id=e["id"],
            category=e["category"],
            phrase=e["phrase"],
            words=words,
            verdict=e.get("verdict", "block"),
            explain=e.get("explain") or default_explain.get(e["category"], ""),
            fuzzy=e.get("fuzzy", True),
            exceptions=tuple(excs),
        )
        m.first.setdefault(words[0], []).append(rule)
        if len(words) == 1:
            m.single.setdefault(words[0], []).append(rule)
        else:
            m.pairs.setdefault((words[0], words[1]), []).append(rule)
            m.pair_first.add(words[0])
        m.vocab.update(words)
        if rule.fuzzy:
            fuzzy_words.update(w for w in words if len(w) >= FUZZY_MIN_LEN and w.isalpha())
    for w in fuzzy_words:
        for d in _deletes(w):
            m.fuzzy_index.setdefault(d, set()).add(w)
        m.fuzzy_index.setdefault(w, set()).add(w)
        if len(w) >= 9:  # two edits allowed on long words
            for d in _deletes(w):
                for d2 in _deletes(d):
                    m.fuzzy_index.setdefault(d2, set()).add(w)
    return m


def etag_of(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]


def compile_rules(data: dict) -> CompiledRules:
    categories = {c["slug"]: c for c in data.get("categories", [])}
    default_explain = {slug: c.get("explain", "") for slug, c in categories.items()}
    terms = data.get("terms", [])
    content = [t for t in terms if t.get("scope", "content") in ("content", "all")]
    industry = [t for t in terms if t.get("scope", "content") in ("industry", "all")]
    industry += [
        {**d, "scope": "industry"} for d in data.get("industries", []) if d.get("enabled", True)
    ]
    usecases = {}
    for u in data.get("usecases", []):
        if u.get("enabled", True):
            usecases[u["usecase"].upper()] = UseCaseRule(
                rule_id=u["id"],
                usecase=u["usecase"].upper(),
                category=u["category"],
                verdict=u.get("verdict", "block"),
                explain=u.get("explain") or default_explain.get(u["category"], ""),
            )
    marketing = [
        {
            "id": f"conformance.marketing.{i}",
            "category": "campaign_mismatch",
            "phrase": p,
            "verdict": "block",
            "fuzzy": False,
        }
        for i, p in enumerate(data.get("marketing_phrases", []))
    ]
    return CompiledRules(
        version=str(data.get("version", "")),
        etag=etag_of(data),
        categories=categories,
        content=_build_matcher(content, default_explain),
        industry=_build_matcher(industry, default_explain),
        marketing=_build_matcher(marketing, {}),
        shorteners=frozenset(
            s["domain"].lower() if isinstance(s, dict) else s.lower()
            for s in data.get("shorteners", [])
            if not isinstance(s, dict) or s.get("enabled", True)
        ),
        usecases=usecases,
        fuzzy_stoplist=frozenset(data.get("fuzzy_stoplist", [])),
        patterns=[
            (
                re.compile(p["regex"], re.IGNORECASE),
                TermRule(
                    p["id"],
                    p["category"],
                    p.get("label", p["regex"]),
                    (),
                    p.get("verdict", "block"),
                    p.get("explain") or default_explain.get(p["category"], ""),
                    False,
                    (),
                ),
                # a literal the text must contain for the pattern to have a chance (speed)
                p.get("needs", ""),
            )
            for p in data.get("patterns", [])
            if p.get("enabled", True) and p.get("scope", "content") == "content"
        ],
        marketing_patterns=[
            re.compile(p["regex"], re.IGNORECASE)
            for p in data.get("patterns", [])
            if p.get("enabled", True) and p.get("scope") == "marketing"
        ],
        vocabulary=_build_vocabulary(
            data.get("vocabulary", []) + [t for t in terms if t.get("scope") == "vocabulary"]
        ),
    )
