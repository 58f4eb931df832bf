"""The rules' terms found in a text's canonical words: one pass over the words that can start a
rule, misspellings within an edit or two, words split in two to dodge the filter, exceptions
and hyphenated descriptions; hits become reasons. Part of the checks (checks.py)."""

from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from policies.decisions import Reason

from .compiler import FUZZY_MIN_LEN, Matcher, TermRule, _deletes
from .normalize import ALT, OBF, TEXT, Normalised, Word

# common words whose concatenation with a neighbour must not count as a split term
_SPLIT_SAFE = frozenset(
    {"a", "an", "the", "to", "of", "in", "on", "at", "is", "it", "be", "we", "us", "our"}
    | {"your", "you", "and", "or", "for", "my", "no"}
)


# a word joined to a term by a hyphen that turns the term into a description of something
# else: "alcohol-free", "firework-themed cake", "rifle-green sofa", "mushroom-shaped jar"
_HYPHEN_SENSE = frozenset(
    {"free", "themed", "theme", "shaped", "style", "styled", "inspired", "scented", "print"}
    | {"printed", "patterned", "colored", "coloured", "green", "grey", "gray", "blue"}
    | {"brown", "black", "red", "pink", "gold", "silver", "toned", "tone", "look", "proof"}
)


@dataclass(slots=True)
class Hit:
    rule: TermRule
    start: int
    end: int
    matched: str
    evasive: bool


# first letters a misspelling may swap and still sound the same: kasino, krypto, zex
_SOUND_ALIKE = frozenset({("k", "c"), ("c", "k"), ("z", "s"), ("s", "z"), ("q", "k"), ("q", "c")})


def _fuzzy(word: str, m: Matcher, stop: frozenset[str]) -> str | None:
    if len(word) < FUZZY_MIN_LEN or word in m.vocab or word in stop or not word.isalpha():
        return None
    cands: set[str] = set()
    idx = m.fuzzy_index
    got = idx.get(word)
    if got:
        cands |= got
    for d in _deletes(word):
        got = idx.get(d)
        if got:
            cands |= got
    best = None
    for c in cands:
        limit = 2 if len(c) >= 9 else 1
        if word[0] != c[0] and len(c) < 9 and (word[0], c[0]) not in _SOUND_ALIKE:
            continue  # misspellings keep the first letter; this avoids many false friends
        dist = OSA.distance(word, c, score_cutoff=limit)
        # the nearest, and of equally near ones the first in alphabetical order: the same
        # answer in every process (a set's order changes with the hash seed)
        if dist <= limit and (best is None or (dist, c) < best):
            best = (dist, c)
    return best[1] if best else None


def match_terms(norm: Normalised, m: Matcher, stop: frozenset[str], text: str) -> list[Hit]:
    words = norm.words
    n = len(words)
    if not n:
        return []
    memo = m.fuzzy_memo
    single, pairs, pair_first = m.single, m.pairs, m.pair_first
    # most words match nothing: the memo also says whether any form of a word starts a
    # rule (``hot``) and whether it may be half of a word split in two (``short``), so the
    # loops below visit only those words (same hits, in the same order)
    gots: list[Any] = [memo.get(w) for w in words]
    if not all(gots):  # a miss (every entry is a non-empty tuple)
        for i, got in enumerate(gots):
            if got is None:
                w = words[i]
                t, alt = w[TEXT], w[ALT]
                c = _fuzzy(t, m, stop) if t not in m.vocab else None
                wf: tuple[str, ...] = (t,)
                if alt and alt != t:
                    wf += (alt,)
                if c:
                    wf += (c,)
                got = gots[i] = (
                    wf,
                    any(f in single or f in pair_first for f in wf),
                    2 <= len(t) <= 6 and t not in _SPLIT_SAFE,
                )
                if len(memo) >= 100_000:
                    memo.clear()
                memo[w] = got
    forms: list[tuple[str, ...]] = [got[0] for got in gots]
    hot = [i for i, got in enumerate(gots) if got[1]]
    short = [i for i, got in enumerate(gots) if got[2]]
    found: list[tuple[TermRule, int, int]] = []  # (rule, first word, form index used)
    for i in hot:
        fs = forms[i]
        for fi, f in enumerate(fs) if len(fs) > 1 else ((0, fs[0]),):
            rules = single.get(f)
            if rules:
                found += [(r, i, fi) for r in rules]
            if i + 1 < n and f in pair_first:
                for g in forms[i + 1]:
                    rules = pairs.get((f, g))
                    if rules:
                        for r in rules:
                            k = len(r.words)
                            if k == 2 or (
                                i + k <= n and all(r.words[j] in forms[i + j] for j in range(2, k))
                            ):
                                found.append((r, i, fi))
    # words split in two to dodge the filter: "can nabis", "bit coin", "cas ino"
    for j in range(len(short) - 1):
        i = short[j]
        if short[j + 1] == i + 1:
            joined = words[i][TEXT] + words[i + 1][TEXT]
            rules = single.get(joined)  # halves are stemmed already: "can nabis" -> "cannabi"
            if rules and joined not in forms[i]:
                found += [(r, i, -1) for r in rules]
    hits: list[Hit] = []
    for rule, i, fi in found:
        k = len(rule.words)
        if fi == -1:  # a word split in two: spans two text words
            start, end = norm.span(i, i + 1)
            hits.append(Hit(rule, start, end, text[start:end], True))
            continue
        if rule.exceptions and _excepted(rule, i, forms, n):
            continue
        after = words[i + k][TEXT] if i + k < n else ""
        if after in _HYPHEN_SENSE and after not in rule.words:
            s0, e0 = norm.span(i + k - 1, i + k)
            if "-" in text[s0:e0]:
                # "vape-free", "alcohol-free": the opposite of the term; "firework-themed",
                # "rifle-green", "shroom-shaped": the term only describes a look
                continue
        start, end = norm.span(i, i + k - 1)
        # evasive: a word needed de-obfuscation, or matched only through its second
        # reading (leet alternative, misspelling)
        evasive = fi > 0 or any(
            words[i + j][OBF] or rule.words[j] != words[i + j][TEXT] for j in range(k)
        )
        if evasive and fi == 0 and not rule.phrase.isascii():
            evasive = not _own_accents(rule, i, k, words, norm, text)
        hits.append(Hit(rule, start, end, text[start:end], evasive))
    return hits


_PUNCT = ".,!?;:'\"()[]{}<>*¡¿“”‘’«»—–-"


def _own_accents(
    rule: TermRule, i: int, k: int, words: list[Word], norm: Normalised, text: str
) -> bool:
    """A rule written with accents (Spanish: "préstamo", "bebidas alcohólicas") matched by
    words that only needed their accents dropped is the language's own spelling, not a
    dodge ("pàyday lóan" on an English rule still is): every word is its rule word, and
    its text is Latin letters (no look-alikes from other scripts, no case switching)."""
    for j in range(k):
        if rule.words[j] != words[i + j][TEXT]:
            return False
        s, e = norm.span(i + j)
        raw = text[s:e].strip(_PUNCT)
        if not raw.isalpha() or any(ord(c) >= 0x250 for c in raw):
            return False
        if not (raw.islower() or raw.istitle() or raw.isupper()):
            return False
    return True


def _excepted(rule: TermRule, i: int, forms: list[tuple[str, ...]], n: int) -> bool:
    for ex_words, k in rule.exceptions:
        s = i - k
        if s < 0 or s + len(ex_words) > n:
            continue
        if all(ex_words[j] in forms[s + j] for j in range(len(ex_words))):
            return True
    return False


def _covered(h: Hit, hits: list[Hit]) -> bool:
    """A hit inside a longer hit of the same category says nothing new ("loan" in "payday loan")."""
    for o in hits:
        inside = o.start <= h.start and h.end <= o.end
        if o is h or o.rule.category != h.rule.category or not inside:
            continue
        if (o.end - o.start) > (h.end - h.start) or (
            (o.start, o.end) == (h.start, h.end) and len(o.rule.words) > len(h.rule.words)
        ):
            return True
    return False


def _hits_to_reasons(hits: list[Hit]) -> tuple[list[Reason], list[Hit]]:
    reasons: list[Reason] = []
    seen: set[str] = set()
    evasive: list[Hit] = []
    if len(hits) > 1:
        hits = [h for h in hits if not _covered(h, hits)]
    for h in hits:
        if h.rule.rule_id in seen:
            continue
        seen.add(h.rule.rule_id)
        quoted = h.matched.strip(".,!?;:()\"'")
        msg = h.rule.explain or f"“{h.rule.phrase}” is not allowed."
        reasons.append(
            Reason(
                rule_id=h.rule.rule_id,
                category=h.rule.category,
                verdict=h.rule.verdict,
                message=f"“{quoted}”: {msg}",
                span=(h.start, h.end),
                matched=h.matched,
            )
        )
        if h.evasive:
            evasive.append(h)
    return reasons, evasive


def _evasion_reason(h: Hit) -> Reason:
    return Reason(
        rule_id="evasion.obfuscated_term",
        category="evasion",
        verdict="block",
        message=(
            f"“{h.matched}” disguises “{h.rule.phrase}” with look-alike letters, symbols, spacing "
            "or misspelling; messages written to slip past filters are not allowed."
        ),
        span=(h.start, h.end),
        matched=h.matched,
    )
