"""What a text offers, by the rules and the knowledge: term hits less the ones a negation or
an ordinary sense excuses, intents, and the reasons' order into a decision. Shared by the
message, campaign and sign-up checks (checks.py, screen.py)."""

from policies.decisions import Decision, Reason

from . import links as L
from .compiler import CompiledRules, Matcher
from .knowledge import intents, negation_cue, ordinary_sense
from .normalize import Normalised, fold, normalise
from .terms import Hit, _evasion_reason, _hits_to_reasons, match_terms


def _shortener(host: str, shorteners: frozenset[str]) -> str | None:
    """The shortener domain ``host`` is, or is a subdomain of (one set lookup per label)."""
    return L.known_host(host, shorteners)


def _content(
    text: str,
    rules: CompiledRules,
    matcher: Matcher,
    skip: list[tuple[int, int]],
    keep: list[Normalised] | None = None,
) -> list[Reason]:
    norm = normalise(text, skip)
    if keep is not None:
        keep.append(norm)
    hits = match_terms(norm, matcher, rules.fuzzy_stoplist, text)
    if hits and rules.knowledge is not None:
        hits = _drop_negated(hits, text, rules, senses=matcher is rules.content)
    if matcher is rules.content and rules.patterns:
        folded = None
        for rx, rule, needs in rules.patterns:
            if needs and needs not in text:
                continue  # the literal is ASCII ("$"), so the raw text decides
            if folded is None:
                folded = fold(text)
                same_len = len(folded) == len(text)
            m = rx.search(folded)
            if m:
                s, e = m.span() if same_len else (0, len(text))
                hits.append(Hit(rule, s, e, text[s:e], False))
    reasons, evasive = _hits_to_reasons(hits)
    if evasive:
        reasons.append(_evasion_reason(evasive[0]))
    elif norm.homoglyph_tokens:
        s, e = norm.homoglyph_spans[0]
        reasons.append(
            Reason(
                "evasion.homoglyph",
                "evasion",
                "block",
                f"“{text[s:e]}” mixes look-alike letters from another alphabet or hidden "
                "characters; write messages in plain text.",
                (s, e),
                text[s:e],
            )
        )
    return reasons


def _drop_negated(
    hits: list[Hit], text: str, rules: CompiledRules, senses: bool = True
) -> list[Hit]:
    """ "we do not sell firearms", "no alcohol served", "(no THC, no CBD)": a plain term inside
    a negation's scope is not an offer. A hit that starts at the cue ("no credit check")
    keeps the negation for itself, so nothing after it is excused. Nor is a plain term the
    words around it read in its ordinary sense (the knowledge's ``senses``; content rules
    only: the sign-up screen reads a business's words in its own way)."""
    k = rules.knowledge
    starts = [(h.start, h.end) for h in hits]
    out = []
    for h in hits:
        if not h.evasive:
            cue = negation_cue(text, h.start, k)
            if cue is not None and not any(s <= cue < e for s, e in starts):
                continue
            if k.negation_after is not None and k.negation_after.match(text, h.end):
                continue  # "kratom tea isn't something we sell", "vapes are not sold here"
            if (
                senses
                and h.rule.category in k.senses
                and ordinary_sense(h.rule.category, h.rule.words, text, h.start, h.end, k)
            ):
                continue  # "your auto loan payment was received", "casino night fundraiser"
        out.append(h)
    return out


# reasons about the content (what is offered), as opposed to links, opt-out and evasion
_NOT_CONTENT = frozenset(
    {
        "evasion",
        "missing_opt_out",
        "link_shortener",
        "unbranded_link",
        "obfuscated_link",
        "campaign_mismatch",
    }
)


def _intent_reasons(
    text: str,
    rules: CompiledRules,
    have: set[str],
    low: str | None = None,
    soft: frozenset[str] = frozenset(),
) -> list[Reason]:
    """The knowledge's intents a text matches, one per category not in ``have``; a firm
    intent also when its category is flagged only for review (``soft``): "free government
    grant" goes to review, a fee that releases the grant blocks."""
    out = []
    for it, span in intents(text, rules.knowledge, low):
        if it.category in have and not (it.firm and it.category in soft):
            continue
        have.add(it.category)
        s, e = span
        out.append(
            Reason(
                it.rule_id,
                it.category,
                it.verdict,  # type: ignore[arg-type]
                f"“{text[s:e].strip()}” reads as {it.label}: {it.explain}",
                span,
                text[s:e],
            )
        )
    return out


def _review_only(reasons: list[Reason]) -> frozenset[str]:
    """The categories ``reasons`` flag for review and never block."""
    review = {r.category for r in reasons if r.verdict == "review"}
    return frozenset(review - {r.category for r in reasons if r.verdict == "block"})


def _firm_intent(text: str, rules: CompiledRules, low: str | None) -> bool:
    """Whether a firm intent of the knowledge (one no word-sense veto overrules) matches."""
    k = rules.knowledge
    return k is not None and any(it.firm for it, _span in intents(text, k, low))


def _order(reasons: list[Reason]) -> Decision:
    """Content categories first, evasion and missing opt-out after (the primary is first)."""
    tail = {"evasion": 1, "missing_opt_out": 2}
    return Decision(tuple(sorted(reasons, key=lambda r: tail.get(r.category, 0))))


def _industry_reasons(
    text: str, rules: CompiledRules, split_compounds: bool = False
) -> list[Reason]:
    if split_compounds:
        text = _segment(text, rules)
    return _content(text, rules, rules.industry, [])


def _segment(label: str, rules: CompiledRules) -> str:
    """Split a run-together domain label into known rule words (greedy longest match)."""
    vocab = rules.industry.vocab
    out = []
    for chunk in label.split():
        i = 0
        n = len(chunk)
        while i < n:
            for j in range(min(n, i + 20), i, -1):
                piece = chunk[i:j]
                if j - i >= 3 and (
                    piece in vocab or piece + "s" in vocab or piece.rstrip("s") in vocab
                ):
                    out.append(piece)
                    i = j
                    break
            else:
                out.append(chunk[i])
                i += 1
    # single leftover letters should not be joined into fake words
    return " ".join(p if len(p) > 1 else "·" for p in out)
