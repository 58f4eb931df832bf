"""The learned layer's say on a decision: it raises a text the rules let through to review or
block with its own reason, and overrules a lone word-sense-prone term the text reads in
another sense (the vetoes); sentence windows of long descriptions and the business name's
own reading. Part of the checks (checks.py, screen.py)."""

import re
from functools import lru_cache

from policies.decisions import Reason

from .compiler import CompiledRules
from .content import (
    _NOT_CONTENT,
    _content,
    _firm_intent,
)
from .learned import ALLOW, WINDOW_MIN_WORDS, GateModel, description_sentences, features
from .normalize import TEXT, normalise


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
