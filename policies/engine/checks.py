"""The checks: content terms, links, opt-out language, campaign conformance, industry,
use case. Pure functions of (text, compiled rules, context) -> Decision."""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from policies.decisions import Decision, Reason

from . import links as L
from . import signup as S
from .compiler import FUZZY_MIN_LEN, CompiledRules, Matcher, TermRule, _deletes
from .knowledge import intents, negation_cue, ordinary_sense
from .learned import ALLOW, WINDOW_MIN_WORDS, GateModel, description_sentences, features
from .normalize import ALT, OBF, TEXT, Normalised, Word, canonical_phrase, fold, normalise

# common words whose concatenation with a neighbour must not count as a split term
_SPLIT_SAFE = frozenset(
    {"a", "an", "the", "to", "of", "in", "on", "at", "is", "it", "be", "we", "us", "our"}
    | {"your", "you", "and", "or", "for", "my", "no"}
)

KINDS_NEEDING_OPT_OUT = frozenset({"marketing", "informational"})
MARKETING_USECASES = frozenset(
    {"MARKETING", "MIXED", "LOW_VOLUME", "SOLE_PROPRIETOR", "AGENTS_FRANCHISES", "SWEEPSTAKE"}
)

_OPT_WORD = (
    r"(?:stop|stopall|stop\s+all|unsubscribe|unsub|cancel|end|quit|revoke|optout"
    r"|opt[\s\-]?out|remove|arret)"
)
_OPT_WORD_ES = r"(?:stop|alto|baja|parar|cancelar)"
_OPT_OUT_SOURCE = (
    r"\b(?:reply|replying|text|texting|txt|send|respond|msg|message|sms)\b[^.\n]{0,20}?[\"'“(]?\b"
    + _OPT_WORD
    + r"\b"
    r"|\b" + _OPT_WORD + r"\b[\"'”)]?\s*(?:2|to|=|for|:)\s*"
    r"(?:opt[\s\-]?out|unsubscribe|unsub|end|stop|cancel|quit|remove|optout|leave)"
    r"|\bopt[\s\-]?out\b[^.\n]{0,20}\b(?:reply|text|txt|send)\b"
    r"|\b(?:reply|text|txt)\s*[\"'“(]?stop\b"
    r"|\bstop\s*2\s*(?:end|quit|cancel|optout|opt\s*out|unsubscribe|unsub)\b"
    r"|\bopt[\s\-]?out\s*[:\-]\s*(?:reply\s+|text\s+|txt\s+)?[\"'“]?stop\b"
    # Spanish, accents already folded: "Responde STOP para cancelar", "Envía BAJA",
    # "ALTO para salir"
    r"|\b(?:responde|responda|contesta|conteste|envia|envie|manda|mande|escribe|escriba"
    r"|textea)\b[^.\n]{0,20}?[\"'“(]?\b" + _OPT_WORD_ES + r"\b"
    r"|\b" + _OPT_WORD_ES + r"\b[\"'”)]?\s*(?:para|=|:)\s*"
    r"(?:cancelar|salir|darte\s+de\s+baja|darse\s+de\s+baja|no\s+recibir|dejar\s+de\s+recibir)"
)
_OPT_KEY_SOURCE = r"stop|unsub|cancel|end|quit|revoke|opt|remove|arret|alto|baja|parar"
OPT_OUT = re.compile(_OPT_OUT_SOURCE, re.IGNORECASE)
_OPT_KEY = re.compile(_OPT_KEY_SOURCE, re.IGNORECASE)
# the same patterns without IGNORECASE, for ASCII text in lower case: there the two match
# alike (the patterns spell no upper-case letter, and no ASCII letter folds to another
# one), and CPython's re is 2-3x slower with IGNORECASE
_OPT_OUT_LOWER = re.compile(_OPT_OUT_SOURCE)
_OPT_KEY_LOWER = re.compile(_OPT_KEY_SOURCE)


# The common wordings, checked as plain substrings before any regular expression.
_OPT_QUICK = (
    "reply stop",
    "text stop",
    "txt stop",
    "stop to opt",
    "stop to unsub",
    "stop to end",
    "stop to cancel",
    "stop to quit",
    "stop to stop",
    "stop2end",
    "stop 2 end",
    'reply "stop',
    'text "stop',
    "reply end",
    "reply unsubscribe",
    "stop=stop",
    "stop to opt-out",
    "responde stop",
    "stop para cancelar",
    "stop para salir",
)


def has_opt_out(text: str, low: str | None = None) -> bool:
    """Says how to stop: "Reply STOP to opt out", "Txt STOP to end", "STOP2END"...
    ``low``: ``text.lower()`` if the caller has it.

    The full pattern runs only in a window around each opt-out keyword."""
    if not text.isascii():
        text = fold(text)
        low = None
    lower = text.lower() if low is None else low
    if any(q in lower for q in _OPT_QUICK):
        return True
    if text.isascii():
        for m in _OPT_KEY_LOWER.finditer(lower):
            s = max(0, m.start() - 40)
            if _OPT_OUT_LOWER.search(lower, s, m.end() + 40):
                return True
        return False
    for m in _OPT_KEY.finditer(text):
        s = max(0, m.start() - 40)
        if OPT_OUT.search(text, s, m.end() + 40):
            return True
    return False


PHONE = re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?\(?[2-9]\d{2}\)?[\s.\-]?\d{3}[\s.\-]?\d{4}(?!\d)")


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


def _shortener(host: str, shorteners: frozenset[str]) -> str | None:
    """The shortener domain ``host`` is, or is a subdomain of (one set lookup per label)."""
    return L.known_host(host, shorteners)


def _brand_hint(brand_domains: list[str]) -> str:
    return (
        f"use a link on {brand_domains[0]}"
        if brand_domains
        else "use a link on your own website's domain"
    )


def check_links(
    found: list[L.Link], rules: CompiledRules, brand_domains: list[str]
) -> list[Reason]:
    reasons: list[Reason] = []
    # brand domains as given: "BrightSmile.com", "www.brightsmile.com", "https://brightsmile.com/"
    brands = [
        b.strip().lower().split("://")[-1].split("/")[0].removeprefix("www.")
        for b in brand_domains
        if b and b.strip()
    ]
    hint = _brand_hint(brands)
    brand_skels: dict[str, str] | None = None
    for link in found:
        host = link.host.removeprefix("www.")
        span = (link.start, link.end)
        shortener = _shortener(host, rules.shorteners)
        if link.path == "?wordlike" and not shortener:
            continue  # "now.In stock": a missing space, not a link
        own = any(L.host_matches(host, b) for b in brands)
        if link.userinfo:
            reasons.append(
                Reason(
                    "link.userinfo",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” looks like it goes to {link.userinfo} but really opens {host}; "
                    f"links must show where they go ({hint}).",
                    span,
                    link.raw,
                )
            )
            continue
        if L.is_ip_host(host):
            reasons.append(
                Reason(
                    "link.ip_host",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” points at a bare IP address; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        if shortener:
            reasons.append(
                Reason(
                    "link.shortener",
                    "link_shortener",
                    "block",
                    f"{shortener} is a public link shortener; {hint}.",
                    span,
                    link.raw,
                )
            )
            if link.obfuscated_dots:
                reasons.append(
                    Reason(
                        "link.obfuscated_dots",
                        "obfuscated_link",
                        "block",
                        f"“{link.raw}” hides a link by writing its dots as words or brackets.",
                        span,
                        link.raw,
                    )
                )
            continue
        if own:
            if link.obfuscated_dots:
                reasons.append(
                    Reason(
                        "link.obfuscated_dots",
                        "obfuscated_link",
                        "block",
                        f"“{link.raw}” hides a link by writing its dots as words or brackets; "
                        "write it plainly.",
                        span,
                        link.raw,
                    )
                )
            aff = L.affiliate_params(link.path)
            if aff:
                reasons.append(
                    Reason(
                        "link.affiliate_params",
                        "lead_generation",
                        "block",
                        f"“{link.raw}” carries affiliate tracking ({', '.join(aff)}); "
                        "affiliate and lead-generation links are not allowed.",
                        span,
                        link.raw,
                    )
                )
            continue
        if "xn--" in host:
            reasons.append(
                Reason(
                    "link.punycode",
                    "obfuscated_link",
                    "block",
                    f"{host} is an internationalised (punycode) domain that can imitate another "
                    f"site; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        sk = L.skeleton(host)
        if brand_skels is None:
            brand_skels = {b: L.skeleton(b) for b in brands}
        lookalike = None
        for b, bsk in brand_skels.items():
            blabel = b.split(".")[0]
            if (
                sk == bsk
                or (len(bsk) >= 6 and OSA.distance(sk, bsk, score_cutoff=2) <= 2)
                or (
                    (len(blabel) >= 4 and blabel in host.replace("-", "").split(".")[0:-1])
                    or (len(blabel) >= 5 and blabel in L.skeleton(host.rsplit(".", 1)[0]))
                )
            ):
                lookalike = b
                break
        if lookalike:
            reasons.append(
                Reason(
                    "link.lookalike",
                    "obfuscated_link",
                    "block",
                    f"{host} imitates your domain {lookalike} but is not it; link only to "
                    f"{lookalike} and its subdomains.",
                    span,
                    link.raw,
                )
            )
            continue
        if link.obfuscated_dots:
            reasons.append(
                Reason(
                    "link.obfuscated_dots",
                    "obfuscated_link",
                    "block",
                    f"“{link.raw}” hides a link by writing its dots as words or brackets; {hint}.",
                    span,
                    link.raw,
                )
            )
            continue
        aff = L.affiliate_params(link.path)
        if aff:
            reasons.append(
                Reason(
                    "link.affiliate_params",
                    "lead_generation",
                    "block",
                    f"“{link.raw}” carries affiliate tracking ({', '.join(aff)}); "
                    "affiliate and lead-generation links are not allowed.",
                    span,
                    link.raw,
                )
            )
            continue
        reasons.append(
            Reason(
                "link.unbranded",
                "unbranded_link",
                "block",
                f"{host} is not one of your brand domains; {hint}.",
                span,
                link.raw,
            )
        )
    return reasons


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


def _learned_reason(
    text: str,
    rules: CompiledRules,
    model: GateModel,
    words: list[str],
    gate: str,
    reasons: list[Reason],
    low: str | None = None,
    name_end: int | None = None,
) -> list[Reason]:
    """The learned layer's say: raise an unflagged text to review or block with its own
    reason, or (for a lone plain word the model reads as another sense, or a term found
    only in a business's name) overrule a rule. ``name_end``: at sign-up, where the
    business's name ends in ``text`` (the description follows after a newline)."""
    th = model.thresholds
    content = [r for r in reasons if r.category not in _NOT_CONTENT]
    if content:
        lone = model_words(rules)
        evasion = [r for r in reasons if r.category == "evasion"]
        # at sign-up a near spelling of a one-word term is mostly another word (a name:
        # "Lottie's Lunch Box"); a message's respelling is mostly a dodge, so only the
        # sign-up screen may overrule it, and never a word with digits, symbols or spacing
        if not (
            evasion and (gate == "message" or not all(_plain_word(r.matched) for r in evasion))
        ) and all(r.rule_id in lone for r in content):
            p = model.score(text, rules.knowledge, words, low, rules.vocabulary)
            if (
                p < th.get("veto", -1.0)
                and (
                    name_end is None
                    or len(words) < WINDOW_MIN_WORDS
                    or _windows_clear(text, content, rules, model, th["veto"])
                )
                and not _firm_intent(text, rules, low)
            ):
                return [
                    r for r in reasons if r.category in _NOT_CONTENT and r.category != "evasion"
                ]
        elif (
            "phrase_veto" in th
            and not evasion
            and all(r.rule_id in _plain_rules(rules) for r in content)
            and model.score(text, rules.knowledge, words, low, rules.vocabulary) < th["phrase_veto"]
            and model.readings(features(text, rules.knowledge, words, low, rules.vocabulary))[0]
            == ALLOW
            and not _firm_intent(text, rules, low)
        ):
            # a message the rules flagged with plain phrases or intents only ("polls open",
            # "auto loan payment", "you're a winner in our hearts"), which both models read
            # as plainly ordinary (the offer's probability under the phrase veto, and
            # ordinary text the category model's best reading): the phrase is read in its
            # other sense too (never a pattern, an evasive spelling or a link)
            return [r for r in reasons if r.category in _NOT_CONTENT]
        if name_end is not None and _name_only(content, evasion, text, name_end, th):
            # the rules found the trade only in the business's name ("Shotgun House
            # Renovations", "Quick Cash Register Repair", "Work From Home Office Furniture"):
            # a name is chosen for its sound, the description says what the business does.
            # Never a phrase of the rules that ends the name ("Quick Payday Loans": the
            # head says what the business is; a lone word there may still be a pun).
            # When the description names an ordinary trade and reads as clean on its own,
            # or reads as plainly clean whatever it names, the name's word is read in its
            # other sense.
            pd, dwords = _description_probability(text, name_end, rules, model)
            if (
                pd is not None
                and (
                    pd < th["clear_description"]
                    or (
                        pd < th["name_veto"]
                        and not rules.knowledge.ordinary_trades.isdisjoint(dwords)
                    )
                )
                # the term only in the name: a reason names each rule once, so the
                # description is looked at on its own ("Golden Hour Hookah & Grill: ...
                # and premium hookah")
                and not any(
                    r.category not in _NOT_CONTENT
                    for r in _content(text[name_end + 1 :], rules, rules.industry, [])
                )
            ):
                return [
                    r for r in reasons if r.category in _NOT_CONTENT and r.category != "evasion"
                ]
        return reasons
    p = model.score(text, rules.knowledge, words, low, rules.vocabulary)
    verdict = "block" if p >= th["block"] else "review" if p >= th["review"] else None
    feats: list[str] | None = None
    windowed = False
    if verdict != "block" and name_end is not None and len(words) >= WINDOW_MIN_WORDS:
        # a long description read whole dilutes the one clause that offers something
        # ("... Friday nights we host cash bingo and pull tabs"): its sentences alone
        window = _window_offer(text, rules, model, th.get("window", 2.0))
        if window is not None:
            p, feats = window
            verdict, windowed = "block", True
    if verdict is None:
        return reasons
    if feats is None:
        feats = features(text, rules.knowledge, words, low, rules.vocabulary)
    best, cat = model.readings(feats)
    if best == ALLOW:  # the category model reads ordinary text
        return reasons
    if name_end is not None and "name_veto" in th and not windowed:
        # the layer alone, at sign-up: when the description read on its own is clean, what
        # the model reacted to is the name's words ("Legal Eagle Immigration", "Tasting Room
        # Cheese Shop"), and a name is chosen for its sound, not to say what is sold
        pd, _ = _description_probability(text, name_end, rules, model)
        if pd is not None and pd < th["description_veto"]:
            return reasons
    label = (rules.categories.get(cat) or {}).get("name") or cat.replace("_", " ")
    why = _top_features(model, feats)
    sure = "" if verdict == "block" else "; our team will review it"
    return [
        *reasons,
        Reason(
            f"learned.{gate}.{cat}",
            cat,
            verdict,  # type: ignore[arg-type]
            f"This reads like an offer of {label.lower()} (probability {p:.2f}; from {why}){sure}.",
        ),
    ]


_SENTENCE_END = re.compile(r"[.!?;\n]")


def _window_offer(
    text: str, rules: CompiledRules, model: GateModel, threshold: float
) -> tuple[float, list[str]] | None:
    """At sign-up, the most offer-like sentence of a long description when it reads as an
    offer on its own (probability at least the gate's ``window`` threshold, chosen out of
    fold on the training businesses) and the category model agrees: its probability and
    features."""
    best: tuple[float, list[str]] | None = None
    for a, b in description_sentences(text):
        feats = features(text[a:b], rules.knowledge, vocab=rules.vocabulary)
        p = model.probability(feats)
        if p >= threshold and (best is None or p > best[0]) and not model.nb_allows(feats):
            best = (p, feats)
    return best


def _windows_clear(
    text: str, content: list[Reason], rules: CompiledRules, model: GateModel, veto: float
) -> bool:
    """At sign-up, each lone word must read in its other sense in its own sentence too: a
    long description of an ordinary business dilutes one clause ("... Ask at the register
    for our kratom capsules and extract shots.") below the veto, its sentence does not."""
    for r in content:
        if r.span is None:
            return False
        s, e = r.span
        starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, s)]
        lo = starts[-1] if starts else 0
        m = _SENTENCE_END.search(text, e)
        window = text[lo : m.start() if m else len(text)]
        if model.probability(features(window, rules.knowledge, vocab=rules.vocabulary)) >= veto:
            return False
    return True


def _description_probability(
    text: str, name_end: int, rules: CompiledRules, model: GateModel
) -> tuple[float | None, list[str]]:
    """The sign-up model's probability for the description alone (``text`` is the name, a
    newline, the description) and its canonical words; None when the description is too
    short to say what the business does (under 4 words)."""
    desc = text[name_end + 1 :]
    dwords = [w[TEXT] for w in normalise(desc).words]
    if len(dwords) < 4:
        return None, dwords
    feats = features("\n" + desc, rules.knowledge, dwords, None, rules.vocabulary)
    return model.probability(feats), dwords


# Words after a name's head noun that say what kind of company it is, not what it does.
_LEGAL_SUFFIXES = frozenset(
    {"llc", "inc", "co", "corp", "corporation", "company", "ltd", "lp", "llp", "pllc", "pc", "plc"}
)
_NAME_WORD = re.compile(r"[^\W_]+(?:['\u2019.][^\W_]+)*")


def _name_head_start(name: str) -> int:
    """Where the name's head word starts: its last word, legal suffixes left out. In an
    English name the head says what the business is ("Quick Payday *Loans*"); the words
    before it are what may carry another sense ("*Jackpot* Landscaping")."""
    words = list(_NAME_WORD.finditer(name))
    while len(words) > 1 and words[-1].group().lower().replace(".", "") in _LEGAL_SUFFIXES:
        words.pop()
    return words[-1].start() if words else 0


def _name_only(
    content: list[Reason], evasion: list[Reason], text: str, name_end: int, th: dict
) -> bool:
    """Every content reason is a rule term inside the name (not an intent) and not a blocked
    phrase that ends it (its head: what the business is), and every evasion reason there is a
    name's spelling (words of letters, "&"), not a dodge ("C A S H", "Krat0m")."""
    if "name_veto" not in th:
        return False
    head = _name_head_start(text[:name_end])
    for r in content:
        if r.span is None or r.span[1] > name_end or r.rule_id.startswith("intent."):
            return False
        if r.span[1] > head and r.verdict == "block" and " " in r.matched.strip():
            return False  # a blocked phrase that ends the name: "Quick *Payday Loans*"
    for r in evasion:
        if r.span is None or r.span[1] > name_end:
            return False
        parts = r.matched.split()
        if not parts or not all(p == "&" or (len(p) > 1 and _plain_word(p)) for p in parts):
            return False
    return True


def _plain_word(s: str) -> bool:
    """Letters only (an apostrophe allowed): "Lottie's", not "l0tt0" or "l o t t o"."""
    return s.replace("'", "").replace("\u2019", "").isalpha()


def model_words(rules: CompiledRules) -> frozenset[str]:
    """Rule ids of one-word, word-sense-prone terms the learned layer may overrule."""
    cached = rules._lone_word_rules
    if cached is not None and cached[0] is rules.content:
        return cached[1]
    got = frozenset(
        r.rule_id for m in (rules.content, rules.industry) for rs in m.single.values() for r in rs
    )
    rules._lone_word_rules = (rules.content, got)
    return got


@lru_cache(maxsize=1)
def _shipped_phrases() -> dict[str, str]:
    """The shipped fixture's content terms, id -> phrase: what the learned model was
    trained beside."""
    from . import load_fixture  # the package imports this module

    return {t["id"]: t["phrase"] for t in load_fixture().get("terms", ())}


def _plain_rules(rules: CompiledRules) -> frozenset[str]:
    """Rule ids of the content terms (every phrase, not the patterns: an id both name is
    left out) and the intents: what the message gate's phrase veto may overrule.

    Only terms as shipped: a term staff added or reworded in the admin is their decision
    about a text the model has never seen, and the model does not overrule it."""
    cached = rules._plain_rule_ids
    if cached is not None and cached[0] is rules.knowledge:
        return cached[1]
    shipped = _shipped_phrases()
    terms = {
        r.rule_id
        for rs in rules.content.first.values()
        for r in rs
        if shipped.get(r.rule_id) == r.phrase
    }
    terms -= {rule.rule_id for _rx, rule, _needs in rules.patterns}
    got = frozenset(terms) | frozenset(
        it.rule_id for it in (rules.knowledge.intents if rules.knowledge else ())
    )
    rules._plain_rule_ids = (rules.knowledge, got)
    return got


def _top_features(model: GateModel, feats: list[str]) -> str:
    w = model.weights
    # ties keep the text's order (a set's order changed from run to run with the string
    # hash seed, and with it the reason's wording)
    best = sorted(dict.fromkeys(f for f in feats if w.get(f, 0.0) > 0), key=lambda f: -w[f])[:3]
    shown = []
    for f in best:
        if f.startswith("e:"):
            shown.append(f"the {f[2:].replace('_', ' ')} symbol")
        elif f.startswith("c:"):
            shown.append(f"symbols standing for {f[2:]}")
        elif f.startswith("v:"):
            shown.append(f"the trade words of {f[2:].replace('_', ' ')}")
        elif f.startswith("q:"):
            shown.append({"price": "a price", "quantity": "a quantity"}.get(f[2:], "a delivery"))
        else:
            shown.append(f"“{f.replace('not_', 'no ')}”")
    return ", ".join(shown) or "the wording as a whole"


def _order(reasons: list[Reason]) -> Decision:
    """Content categories first, evasion and missing opt-out after (the primary is first)."""
    tail = {"evasion": 1, "missing_opt_out": 2}
    return Decision(tuple(sorted(reasons, key=lambda r: tail.get(r.category, 0))))


def check_message(
    text: str,
    rules: CompiledRules,
    *,
    kind: str = "marketing",
    brand_domains: list[str] | tuple[str, ...] = (),
    campaign: dict | None = None,
) -> Decision:
    """One outbound message. ``campaign``: {"usecase", "embedded_link", "embedded_phone"}."""
    found = L.find_links(text, rules.shorteners)
    skip = [(lk.start, lk.end) for lk in found]
    kept: list[Normalised] = []
    reasons = _content(text, rules, rules.content, skip, kept)
    low = text.lower()
    if rules.knowledge is not None:
        reasons += _intent_reasons(
            text, rules, {r.category for r in reasons}, low, _review_only(reasons)
        )
    if rules.learned is not None:
        words = [w[TEXT] for w in kept[0].words]
        reasons = _learned_reason(
            text, rules, rules.learned.message, words, "message", reasons, low
        )
    if found:
        reasons += check_links(found, rules, list(brand_domains))
    if kind in KINDS_NEEDING_OPT_OUT and not has_opt_out(text, low):
        reasons.append(
            Reason(
                "opt_out.missing",
                "missing_opt_out",
                "block",
                f"{kind.capitalize()} messages must say how to stop getting them: "
                "add “Reply STOP to opt out.”",
            )
        )
    if campaign is not None:
        reasons += check_conformance(text, rules, campaign, found, skip)
    return _order(reasons)


def check_conformance(
    text: str, rules: CompiledRules, campaign: dict, found=None, skip=None
) -> list[Reason]:
    reasons: list[Reason] = []
    found = L.find_links(text, rules.shorteners) if found is None else found
    real_links = [lk for lk in found if lk.path != "?wordlike"]
    if real_links and not campaign.get("embedded_link", True):
        lk = real_links[0]
        reasons.append(
            Reason(
                "conformance.embedded_link",
                "campaign_mismatch",
                "block",
                "Your registered campaign says its messages contain no links; remove the link or "
                "update the campaign.",
                (lk.start, lk.end),
                lk.raw,
            )
        )
    if not campaign.get("embedded_phone", True):
        m = PHONE.search(text)
        if m:
            reasons.append(
                Reason(
                    "conformance.embedded_phone",
                    "campaign_mismatch",
                    "block",
                    "Your registered campaign says its messages contain no phone numbers; remove "
                    "the number or update the campaign.",
                    m.span(),
                    m.group(),
                )
            )
    usecase = (campaign.get("usecase") or "").upper()
    if usecase and usecase not in MARKETING_USECASES:
        norm = normalise(text, skip if skip is not None else [(lk.start, lk.end) for lk in found])
        hits = match_terms(norm, rules.marketing, rules.fuzzy_stoplist, text)
        if not hits:
            for rx in rules.marketing_patterns:
                m = rx.search(text)
                if m:
                    hits.append(
                        Hit(
                            TermRule(
                                "conformance.marketing",
                                "campaign_mismatch",
                                m.group(),
                                (),
                                "block",
                                "",
                                False,
                                (),
                            ),
                            m.start(),
                            m.end(),
                            m.group(),
                            False,
                        )
                    )
                    break
        if hits:
            h = hits[0]
            reasons.append(
                Reason(
                    "conformance.marketing_content",
                    "campaign_mismatch",
                    "block",
                    f"“{h.matched}” is promotional, but your campaign is registered as "
                    f"{usecase.replace('_', ' ').lower()}; send offers only on a marketing "
                    "campaign.",
                    (h.start, h.end),
                    h.matched,
                )
            )
    return reasons


def screen_business(
    name: str, industry_description: str, website: str, rules: CompiledRules
) -> Decision:
    """Sign-up gate: the industry the business describes, its name and its website's name."""
    reasons: list[Reason] = []
    text = f"{name}\n{industry_description}"
    kept: list[Normalised] = []
    reasons += _content(text, rules, rules.industry, [], kept)
    if rules.knowledge is not None:
        reasons += _intent_reasons(
            text, rules, {r.category for r in reasons}, None, _review_only(reasons)
        )
    excused = _excused_categories(industry_description, rules) if rules.knowledge else set()
    if excused:
        reasons = [r for r in reasons if not _excusable(r, excused)]
    overruled: set[str] = set()
    if rules.learned is not None:
        words = [w[TEXT] for w in kept[0].words]
        before = {r.rule_id for r in reasons}
        reasons = _learned_reason(
            text, rules, rules.learned.business, words, "business", reasons, None, len(name)
        )
        # a term read in another sense in the name is read so in the website's name too
        # ("Quick Cash Register Repair", quickcashregisterrepair.com)
        overruled = before - {r.rule_id for r in reasons}
        if excused:  # nor does the layer read them as the excused trade
            reasons = [r for r in reasons if not _excusable(r, excused)]
    host = website.lower()
    host = host.split("://", 1)[-1].split("/", 1)[0].removeprefix("www.")
    if host:
        shortener = _shortener(host, rules.shorteners)
        if shortener:
            reasons.append(
                Reason(
                    "business.website_shortener",
                    "link_shortener",
                    "block",
                    f"The website {website} is a link shortener; give your business's own website.",
                )
            )
        elif _redirect_website(host, website, name) or S.offer_page_website(host, website, name):
            reasons.append(
                Reason(
                    "business.website_redirect",
                    "unbranded_link",
                    "block",
                    f"The website {website} reads as a tracking or redirect link on another "
                    "domain; give your business's own website.",
                )
            )
        elif L.is_ip_host(host.split(":")[0]):
            reasons.append(
                Reason(
                    "business.website_ip",
                    "obfuscated_link",
                    "review",
                    "The website is a bare IP address; give your business's own domain.",
                )
            )
        else:
            # quickcashloans.com -> "quick cash loans" is checked word by word via its labels
            label = host.rsplit(".", 1)[0].replace("-", " ").replace(".", " ")
            seen = {r.rule_id for r in reasons}
            for r in _industry_reasons(label, rules, split_compounds=True):
                # run-together domain names split ambiguously (thetradingpost, stockphoto):
                # only whole phrases of two or more words count from the website alone
                if r.matched.count(" ") < 1 or r.category == "evasion" or r.rule_id in overruled:
                    continue
                if r.category in excused or _website_word_sense(r, text, rules):
                    continue
                if r.rule_id not in seen:
                    reasons.append(
                        Reason(
                            r.rule_id,
                            r.category,
                            r.verdict,
                            f"Your website name “{host}” suggests: {r.message}",
                            None,
                            r.matched,
                        )
                    )
    if not any(r.category == "link_shortener" for r in reasons):
        domain = S.texted_shortener(industry_description, rules.shorteners)
        if domain:
            reasons.append(
                Reason(
                    "business.texted_shortener",
                    "link_shortener",
                    "block",
                    f"The description says the business texts {domain} links: public link "
                    "shorteners are not allowed in messages; use links on your own website's "
                    "domain.",
                )
            )
    return _order(reasons)


def _excused_categories(description: str, rules: CompiledRules) -> set[str]:
    """At sign-up, categories whose words the description reads in their ordinary sense:
    a flat denial of the whole category ("we do not sell kratom"), a regulated lender, help
    for people facing debt collection (signup.py; knowledge, so not with the rules alone)."""
    out = S.denied_categories(description, S.category_parts(rules.categories))
    if S.regulated_lender(description):
        out.add("lending")
    if S.consumer_side_of_collection(description):
        out.add("debt_collection")
    return out


def _excusable(r: Reason, excused: set[str]) -> bool:
    """A plain industry word or the learned layer's reading of an excused category (never
    an evasive spelling, an intent or a link)."""
    return r.category in excused and r.rule_id.startswith(("industry.", "learned."))


def _website_word_sense(r: Reason, text: str, rules: CompiledRules) -> bool:
    """A phrase found in the website's name that the business's words read in its ordinary
    sense (the knowledge's senses: workfromhomefurnishings.com selling desks and chairs)."""
    k = rules.knowledge
    if k is None or r.category not in k.senses or r.matched is None:
        return False
    return ordinary_sense(r.category, canonical_phrase(r.matched), text, 0, len(text), k)


# words that mark a host as a tracking, redirect or offer page rather than a business's site
_REDIRECT_WORDS = frozenset(
    {
        "track", "tracking", "trk", "redirect", "redir", "click", "clicks", "promo", "promos",
        "offer", "offers", "claim", "affiliate", "aff", "referral", "refer", "ref", "go",
        "link", "links", "lnk", "landing", "lp",
    }
)  # fmt: skip


def _redirect_website(host: str, website: str, name: str) -> bool:
    """A sign-up website that is a link into someone else's redirect or offer page
    (claim-coverage-now.xyz/eaw, track-promo-link.info/x): the host carries a redirect or
    offer word, the address points below the home page, and no word of the business's name
    is in the host. A business's own site (with or without a path) names the business."""
    rest = website.split("://", 1)[-1]
    below_home = "?" in rest or bool(rest.partition("/")[2].strip("/"))
    if not below_home:
        return False
    labels = re.split(r"[.\-]", host.rsplit(".", 1)[0])
    if not _REDIRECT_WORDS.intersection(labels):
        return False
    squashed = host.replace("-", "").replace(".", "")
    words = {w for w in re.findall(r"[a-z0-9]+", name.lower()) if len(w) >= 4}
    return not any(w in squashed for w in words)


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


def check_campaign(
    *,
    usecase: str,
    sub_usecases: list[str],
    description: str,
    message_flow: str,
    samples: list[str],
    flags: dict,
    brand_name: str,
    brand_domains: list[str],
    rules: CompiledRules,
) -> Decision:
    reasons: list[Reason] = []
    for code in [usecase, *sub_usecases]:
        rule = rules.usecases.get((code or "").upper())
        if rule:
            reasons.append(
                Reason(
                    rule.rule_id,
                    rule.category,
                    rule.verdict,
                    f"The use case {rule.usecase} is not accepted on this platform: {rule.explain}",
                )
            )
    if flags.get("direct_lending"):
        reasons.append(
            Reason(
                "campaign.flag.direct_lending",
                "lending",
                "block",
                "Campaigns about loans or lending are not accepted on this platform.",
            )
        )
    if flags.get("affiliate_marketing"):
        reasons.append(
            Reason(
                "campaign.flag.affiliate_marketing",
                "lead_generation",
                "block",
                "Affiliate marketing and lead generation are not accepted on this platform.",
            )
        )
    if flags.get("age_gated"):
        reasons.append(
            Reason(
                "campaign.flag.age_gated",
                "alcohol",
                "review",
                "Age-gated content (alcohol, tobacco, firearms) is not accepted; our team will "
                "review what this campaign sends.",
            )
        )
    seen: set[str] = {r.rule_id for r in reasons}
    for label, text in (("description", description), ("message flow", message_flow)):
        for r in _content(text, rules, rules.content, []) + _industry_reasons(text, rules):
            if r.rule_id not in seen:
                seen.add(r.rule_id)
                reasons.append(
                    Reason(
                        r.rule_id,
                        r.category,
                        r.verdict,
                        f"In the {label}: {r.message}",
                        r.span,
                        r.matched,
                    )
                )
    if rules.learned is not None and rules.knowledge is not None and description:
        # the campaign gate: what the use case describes, read like a sign-up description
        # (its review band too: a doubtful campaign goes to staff)
        kept: list[Normalised] = []
        found = _content(description, rules, rules.industry, [], kept)
        words = [w[TEXT] for w in kept[0].words]
        for r in _learned_reason(
            description, rules, rules.learned.business, words, "campaign", found
        )[len(found) :]:
            reasons.append(
                Reason(r.rule_id, r.category, r.verdict, f"In the description: {r.message}")
            )
    for n, sample in enumerate(samples, 1):
        if not sample:
            continue
        d = check_message(sample, rules, kind="transactional", brand_domains=brand_domains)
        for r in d.reasons:
            if r.rule_id not in seen:
                seen.add(r.rule_id)
                reasons.append(
                    Reason(
                        r.rule_id,
                        r.category,
                        r.verdict,
                        f"In sample {n}: {r.message}",
                        r.span,
                        r.matched,
                    )
                )
    return _order(reasons)
