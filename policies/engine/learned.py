"""The learned layer: a linear model over the engine's canonical words, beside the rules.

Pure Python (no numpy, no ORM): features are the normalised words the rules already computed
(so leetspeak and spacing are undone once), word pairs, symbols by CLDR name and concept,
commerce cues and negation scope. Two models ship in ``policies/fixtures/learned_model.json``
(``manage.py policy_train`` writes it from the training corpus, deterministically):

- ``message`` (messages and campaign samples) and ``business`` (the sign-up screen);
- each a logistic regression (block vs allow; AdaGrad SGD, L2) whose raw score is calibrated
  by Platt scaling fitted on out-of-fold scores, thresholds per gate chosen on those same
  out-of-fold probabilities, and a multinomial naive Bayes over the categories of the
  blocked examples to name what the text reads like.

Scoring one text is a few dozen dictionary lookups; the category model runs only when the
probability crosses a threshold.
"""

import hashlib
import json
import math
import random
import re
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

from .accel import ENGINE_DIR  # the sources' folder, also when this module is compiled
from .compiler import Vocabulary
from .knowledge import NO_COMPOUND, Knowledge, cues, negated, symbols
from .normalize import TEXT, canonical_phrase, normalise

FEATURE_VERSION = 1
ALLOW = "allow"  # the category model's class for ordinary text
MODEL_PATH = ENGINE_DIR.parent / "fixtures" / "learned_model.json"
_DIGITS = str.maketrans("0123456789", "0000000000")


_SHAPES: dict[str, str] = {}
_NO_PAIRS: dict[str, float] = {}  # the pairs of a token that starts none (never written)
# words that negate beside the cues: "X free", "not", "non X" (see knowledge.negated)
_NEGATING = frozenset({"free", "not", "non"})


def _shape(w: str) -> str:
    """Numbers by shape ("35" and "41" are "<00>"), words as they are; memoised."""
    s = "<" + w.translate(_DIGITS)[:4] + ">" if w[:1].isdigit() and not w.isalpha() else w
    if len(_SHAPES) >= 200_000:
        _SHAPES.clear()
    _SHAPES[w] = s
    return s


def features(
    text: str,
    k: Knowledge,
    words: list[str] | None = None,
    low: str | None = None,
    vocab: "Vocabulary | None" = None,
) -> list[str]:
    """Binary features of ``text``. ``words``: its canonical words if already computed;
    ``low``: ``text.lower()`` if already computed; ``vocab``: the trade vocabularies
    (``v:<category>`` features)."""
    if words is None:
        words = [w[TEXT] for w in normalise(text).words]
    shape = _SHAPES
    toks = [shape.get(w) or _shape(w) for w in words]
    neg, trade, extra = _feature_parts(text, k, words, low, vocab)
    if neg is not None:
        toks = ["not_" + t if n else t for t, n in zip(toks, neg, strict=True)]
    return [*toks, *trade, *[a + " " + b for a, b in pairwise(toks)], *extra]


def _feature_parts(
    text: str,
    k: Knowledge,
    words: list[str],
    low: str | None,
    vocab: "Vocabulary | None",
) -> tuple[list[bool] | None, list[str], list[str]]:
    """What the features hold beside the words and their pairs (``features`` and
    ``GateModel.score`` share it): which words a negation governs (None: no cue in the
    text), the trade vocabularies' categories, then symbols and cues."""
    neg = None
    if not k.negation_cues.isdisjoint(words) or not _NEGATING.isdisjoint(words):
        compounds: frozenset[str] = frozenset()
        lowered = low if low is not None else text.lower()
        if "no-" in lowered:
            compounds = frozenset(
                w for m in NO_COMPOUND.finditer(lowered) for w in canonical_phrase(m[1])
            )
        neg = negated(words, k, compounds)
    trade = (
        vocab.categories(words, neg) if vocab is not None and (vocab.single or vocab.multi) else []
    )
    extra = []
    for name, concepts in symbols(text, k):
        extra.append("e:" + name)
        extra += ["c:" + c for c in concepts]
    extra += ["q:" + c for c in cues(text, k, low)]
    return neg, trade, extra


@dataclass
class GateModel:
    bias: float
    weights: dict[str, float]
    platt: tuple[float, float]
    thresholds: dict[str, float]  # gate -> probability from which to act
    cat_prior: dict[str, float]  # category -> log prior
    cat_loglik: dict[str, dict[str, float]]  # category -> feature -> log P(f | c)
    cat_unseen: dict[str, float]  # category -> log P of a feature never seen with it
    _postings: dict[str, list[tuple[str, float]]] | None = field(default=None, repr=False)
    # for ``score``: word -> (its token, its negated token, and for each of the two its
    # weight and the weights of the pairs it starts, as second token -> weight)
    _words: dict[str, tuple] = field(default_factory=dict, repr=False)
    _pairs: dict[str, dict[str, float]] | None = field(default=None, repr=False)

    def score(
        self,
        text: str,
        k: Knowledge,
        words: list[str] | None = None,
        low: str | None = None,
        vocab: "Vocabulary | None" = None,
    ) -> float:
        """``probability(features(text, k, words, low, vocab))`` to the last bit, without
        building the features: the same weights summed in the same order, each word's
        looked up once per run, each word pair's through the first word's own small dict
        instead of an "a b" string made for it (most texts need only their probability;
        the feature list is built for the few over a threshold, for their category and
        reason)."""
        if words is None:
            words = [w[TEXT] for w in normalise(text).words]
        w = self.weights
        memo = self._words
        if len(memo) >= 200_000:
            memo.clear()
        ents: list[Any] = [memo.get(x) for x in words]
        if not all(ents):  # a miss (every entry is a non-empty tuple)
            ents = [
                e if e is not None else memo.setdefault(x, self._word(x))
                for x, e in zip(words, ents, strict=True)
            ]
        neg, trade, extra = _feature_parts(text, k, words, low, vocab)
        if neg is not None and True in neg:
            ents = [e[4] if n else e for e, n in zip(ents, neg, strict=True)]
        ws = [e[1] for e in ents]
        if trade:
            ws += [w.get(f, 0.0) for f in trade]
        ws += [a[2].get(b[0], 0.0) for a, b in pairwise(ents)]
        if extra:
            ws += [w.get(f, 0.0) for f in extra]
        pa, pb = self.platt
        z = pa * (self.bias + sum(ws) / math.sqrt(len(ws) + 1)) + pb
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def _word(self, word: str) -> tuple:
        """(token, weight, pairs from it (second token -> weight; an empty dict for none),
        -, the same for its negated token)."""
        if self._pairs is None:
            self._pairs = _pair_index(self.weights)
        w, pairs = self.weights, self._pairs
        t = _SHAPES.get(word) or _shape(word)
        nt = "not_" + t
        no = _NO_PAIRS
        return (t, w.get(t, 0.0), pairs.get(t, no), None, (nt, w.get(nt, 0.0), pairs.get(nt, no)))

    def raw(self, feats: list[str]) -> float:
        w = self.weights
        return self.bias + sum(map(w.get, feats, repeat(0.0))) / math.sqrt(len(feats) + 1)

    def probability(self, feats: list[str]) -> float:
        a, b = self.platt
        z = a * self.raw(feats) + b
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def nb_allows(self, feats: list[str]) -> bool:
        """The category model's best reading is "ordinary text" (no category)."""
        return self.category(feats, include_allow=True) == ALLOW

    def category(self, feats: list[str], include_allow: bool = False) -> str:
        return self.readings(feats)[0 if include_allow else 1]

    def readings(self, feats: list[str]) -> tuple[str, str]:
        """The category model's best reading, and its best category other than ordinary
        text ("allow"), from one pass of scores."""
        best, best_score = "", -math.inf
        cat, cat_score = "", -math.inf
        for c, s in self._nb_scores(feats).items():
            if s > best_score:
                best, best_score = c, s
            if c != ALLOW and s > cat_score:
                cat, cat_score = c, s
        return best, cat

    def index(self) -> "GateModel":
        """Build the lookups scoring uses (the category model's inverted index, the word
        pairs' nested dict): at load, so a run's first texts do not pay ~0.1 s for them."""
        post: dict[str, list[tuple[str, float]]] = {}
        for c, ll in self.cat_loglik.items():
            for f, v in ll.items():
                post.setdefault(f, []).append((c, v - self.cat_unseen[c]))
        self._postings = post
        self._pairs = _pair_index(self.weights)
        return self

    def _nb_scores(self, feats: list[str]) -> dict[str, float]:
        """Log-likelihood per category through an inverted index (feature -> the categories
        it was seen with): a text costs its features' postings, not features x categories."""
        post = self._postings
        if post is None:
            post = self.index()._postings
            assert post is not None
        fs = set(feats)
        n = len(fs)
        scores = {c: p + n * self.cat_unseen[c] for c, p in self.cat_prior.items()}
        for f in fs:
            for c, d in post.get(f, ()):
                scores[c] += d
        return scores

    def as_dict(self) -> dict:
        return {
            "bias": round(self.bias, 6),
            "weights": {f: round(v, 5) for f, v in sorted(self.weights.items())},
            "platt": [round(self.platt[0], 6), round(self.platt[1], 6)],
            "thresholds": self.thresholds,
            "categories": {
                c: {
                    "prior": round(self.cat_prior[c], 6),
                    "unseen": round(self.cat_unseen[c], 6),
                    "loglik": {f: round(v, 4) for f, v in sorted(self.cat_loglik[c].items())},
                }
                for c in sorted(self.cat_prior)
            },
        }

    @classmethod
    def from_dict(cls, d: dict) -> "GateModel":
        cats = d["categories"]
        return cls(
            bias=d["bias"],
            weights=d["weights"],
            platt=(d["platt"][0], d["platt"][1]),
            thresholds=d["thresholds"],
            cat_prior={c: v["prior"] for c, v in cats.items()},
            cat_loglik={c: v["loglik"] for c, v in cats.items()},
            cat_unseen={c: v["unseen"] for c, v in cats.items()},
        )


def _pair_index(weights: dict[str, float]) -> dict[str, dict[str, float]]:
    """Every feature "a b" (a word pair; tokens never hold a space) as a -> b -> weight."""
    out: dict[str, dict[str, float]] = {}
    for f, v in weights.items():
        a, sep, b = f.partition(" ")
        if sep:
            out.setdefault(a, {})[b] = v
    return out


@dataclass
class LearnedModel:
    message: GateModel
    business: GateModel
    meta: dict


def load_model(path: Path | None = None) -> LearnedModel:
    d = json.loads((path or MODEL_PATH).read_text(encoding="utf-8"))
    return LearnedModel(
        GateModel.from_dict(d["message"]).index(),
        GateModel.from_dict(d["business"]).index(),
        d["meta"],
    )


# --- training (pure Python; seconds on a few thousand texts) -----------------------------


def _fit_lr(
    xs: list[list[str]],
    ys: list[int],
    *,
    epochs: int = 12,
    lr: float = 0.5,
    l2: float = 1e-3,
    skip: frozenset[str] = frozenset(),
) -> tuple[float, dict[str, float]]:
    """Logistic regression by AdaGrad SGD in a fixed order (seeded): same data, same model."""
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    bias, gb = 0.0, 1e-8
    order = list(range(len(xs)))
    rnd = random.Random(17)
    pos = sum(ys) or 1
    neg = (len(ys) - pos) or 1
    # class weights: the two labels count alike, whatever their shares in the corpus
    cw = {1: len(ys) / (2 * pos), 0: len(ys) / (2 * neg)}
    for _ in range(epochs):
        rnd.shuffle(order)
        for i in order:
            fs, y = xs[i], ys[i]
            scale = 1.0 / math.sqrt(len(fs) + 1)
            z = bias + sum(w.get(f, 0.0) for f in fs) * scale
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = (p - y) * cw[y]
            gb += g * g
            bias -= lr * g / math.sqrt(gb)
            for f in fs:
                if f in skip:
                    continue
                wf = w.get(f, 0.0)
                gf = g * scale + l2 * wf
                acc = g2.get(f, 1e-8) + gf * gf
                g2[f] = acc
                w[f] = wf - lr * gf / math.sqrt(acc)
    return bias, w


def _fit_platt(scores: list[float], ys: list[int]) -> tuple[float, float]:
    """Platt scaling by Newton's method, with Platt's smoothed targets."""
    pos = sum(ys)
    neg = len(ys) - pos
    hi, lo = (pos + 1) / (pos + 2), 1 / (neg + 2)
    t = [hi if y else lo for y in ys]
    a, b = 1.0, 0.0
    for _ in range(50):
        ga = gb = haa = hab = hbb = 0.0
        for s, ti in zip(scores, t, strict=True):
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, a * s + b))))
            d = p - ti
            v = max(p * (1 - p), 1e-9)
            ga += d * s
            gb += d
            haa += v * s * s
            hab += v * s
            hbb += v
        haa += 1e-6
        hbb += 1e-6
        det = haa * hbb - hab * hab
        if abs(det) < 1e-12:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a, b = a - da, b - db
        if abs(da) < 1e-9 and abs(db) < 1e-9:
            break
    return a, b


def _fit_nb(xs: list[list[str]], cats: list[str], alpha: float = 0.3, keep=None):
    """Multinomial naive Bayes over binary features. ``keep``: only features the linear
    model kept (the others read as unseen), which keeps the shipped file small."""
    counts: dict[str, dict[str, int]] = {}
    totals: dict[str, int] = {}
    docs: dict[str, int] = {}
    vocab: set[str] = set()
    for fs, c in zip(xs, cats, strict=True):
        d = counts.setdefault(c, {})
        docs[c] = docs.get(c, 0) + 1
        for f in set(fs):
            d[f] = d.get(f, 0) + 1
            totals[c] = totals.get(c, 0) + 1
            vocab.add(f)
    v = len(vocab) or 1
    n = sum(docs.values())
    prior = {c: math.log(docs[c] / n) for c in docs}
    loglik, unseen = {}, {}
    for c, d in counts.items():
        denom = totals[c] + alpha * v
        loglik[c] = {
            f: math.log((k + alpha) / denom)
            for f, k in d.items()
            if keep is None or (f in keep and abs(keep[f]) >= 1e-3)
        }
        unseen[c] = math.log(alpha / denom)
    return prior, loglik, unseen


# L2 penalty per gate: the sign-up model, fitted on fewer and shorter texts, leaned on single
# name words ("action", "express", "wallet"); chosen by 5-fold cross-validation on the training
# businesses (1e-3, 3e-3, 1e-2, 2e-2, 3e-2: 1e-2 had the fewest wrong flags and misses)
L2 = {"message": 1e-3, "business": 1e-2}

# wrongly flagged share of the flags the learned layer may add on its own, per gate, and the
# probability below which it overrules a lone plain word of the rules (another sense of it)
MAX_FALSE = {"message": 0.02, "business": 0.03}
# (chosen on the out-of-fold probabilities of the training rows the rules flag with lone
# words only: at sign-up no blocked row fell below 0.22, in messages several fell below 0.10)
VETO = {"message": 0.10, "business": 0.20}
# messages only: the probability below which the layer overrules plain phrases and intents too
# (not patterns, evasive spellings or links), when the category model also reads ordinary
# text. Out of fold on the 3,026 training messages (issue 17 round 6) no prohibited message
# flagged by plain phrases or intents read under 0.05 (three under 0.10, each read as its
# category by the category model), and 12 clean ones did with the category model agreeing
# ("polls open", "auto loan payment ... was received", "B12 shot appointment"); but the model
# retrained on 3,626 rows reads one old held-out offer ("free solar panels through a
# government program") at 0.021, so the veto keeps a margin under it
PHRASE_VETO = {"message": 0.02}
# at sign-up, the probability of the description alone under which a rule term found only in
# the business's name is read in its other sense (when the description names an ordinary
# trade): out of fold on the training corpus no prohibited business whose term sat only in
# its name read below 0.5 on its description alone ("Juice Bar Vapes: e-juice, 0-12mg nic"
# 0.53, the rest above 0.7); the clean ones were at 0.00-0.51
NAME_VETO = 0.35
# ... and whatever trade the description names, when it reads as plainly clean on its own
CLEAR_DESCRIPTION = 0.05
# the layer alone at sign-up: a flag whose description alone reads under this is the name's
# doing ("Legal Eagle Immigration: immigration lawyer, green cards" read as cannabis from
# its name); out of fold no prohibited business caught by the layer alone read under 0.3
DESCRIPTION_VETO = 0.25


# a description this long (canonical words) can dilute one clause: at sign-up the layer also
# reads each of its sentences alone ("... Friday nights we host cash bingo and pull tabs to
# raise money for programs."); shorter descriptions are read whole
WINDOW_MIN_WORDS = 35
_SENTENCE_END = re.compile(r"[.!?;\n]")


def description_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a sign-up text's description (``text`` is the name, a
    newline, the description) that hold at least 4 words."""
    start = text.find("\n") + 1
    out = []
    for m in _SENTENCE_END.finditer(text + "\n", start):
        if len(text[start : m.start()].split()) >= 4:
            out.append((start, m.start()))
        start = m.end()
    return out


def _pick_window(probs: list[float], ys: list[int]) -> float:
    """The sentence-window threshold: the lowest probability of a long description's most
    offer-like sentence at which the clean descriptions it flags stay within the sign-up's
    share of wrong flags (out of fold); 1.01 (never) when no threshold keeps to it."""
    pairs = sorted(zip(probs, ys, strict=True), reverse=True)
    best = 1.01
    tp = fp = 0
    for p, y in pairs:
        if y:
            tp += 1
        else:
            fp += 1
        if fp / (tp + fp) <= MAX_FALSE["business"]:
            best = p
    return round(max(best, 0.5), 4)


def _pick_thresholds(probs: list[float], ys: list[int], gate: str) -> dict[str, float]:
    """Out-of-fold probabilities -> the thresholds of one gate.

    block: the lowest probability at which wrongly flagged clean texts stay at most
    MAX_FALSE of the flags; review: the message gate has no band (a held clean message costs
    its sender as much as a block), the sign-up screen sends a band below block to staff,
    since a doubtful description should go to review rather than through."""
    pairs = sorted(zip(probs, ys, strict=True), reverse=True)
    best = 0.99
    tp = fp = 0
    for p, y in pairs:
        if y:
            tp += 1
        else:
            fp += 1
        if fp / (tp + fp) <= MAX_FALSE[gate]:
            best = p
    block = round(max(best, 0.5), 4)
    review = round(max(0.4, block - 0.15), 4) if gate == "business" else block
    out = {"block": block, "review": review, "veto": VETO[gate]}
    if gate in PHRASE_VETO:
        out["phrase_veto"] = PHRASE_VETO[gate]
    if gate == "business":
        out["name_veto"] = NAME_VETO
        out["clear_description"] = CLEAR_DESCRIPTION
        out["description_veto"] = DESCRIPTION_VETO
    return out


# a feature in more than this share of all training texts ("your", "now", "make", "text")
# says nothing about what is offered; left out, the model cannot flag "Make sure to wear
# your retainer every night!" on function words alone (scikit-learn's max_df, in effect)
MAX_DF = 0.05


def generic_features(xs: list[list[str]]) -> frozenset[str]:
    df: dict[str, int] = {}
    for fs in xs:
        for f in set(fs):
            df[f] = df.get(f, 0) + 1
    limit = MAX_DF * len(xs)
    return frozenset(f for f, n in df.items() if n > limit)


def train_gate(
    rows: list[dict],
    k: Knowledge,
    gate: str,
    text_of,
    folds: int = 5,
    extra: list[tuple[list[str], int]] = (),  # type: ignore[assignment]
    vocab: Vocabulary | None = None,
) -> tuple:
    """Fit one gate's model; returns (GateModel, out-of-fold probabilities of ``rows``).

    ``extra``: (features, label) of the other gate's texts, always in the training folds
    (more examples of both kinds of wording), never scored or used for the thresholds."""
    xs = [features(text_of(r), k, vocab=vocab) for r in rows]
    ys = [1 if r["expected"] == "block" else 0 for r in rows]
    ex_x = [x for x, _ in extra]
    ex_y = [y for _, y in extra]
    cats = [r.get("category") or ALLOW if r["expected"] == "block" else ALLOW for r in rows]
    skip = generic_features(xs + ex_x)
    oof = [0.0] * len(rows)
    agree = [True] * len(rows)
    # the sign-up's sentence windows: each long description's sentences as their own texts
    wins: dict[int, list[list[str]]] = {}
    if gate == "business":
        for i, r in enumerate(rows):
            t = text_of(r)
            if len(normalise(t).words) >= WINDOW_MIN_WORDS:
                wins[i] = [features(t[a:b], k, vocab=vocab) for a, b in description_sentences(t)]
    win_raw: dict[int, float] = {}
    for f in range(folds):
        tr = [i for i in range(len(rows)) if i % folds != f]
        bias, w = _fit_lr(
            [xs[i] for i in tr] + ex_x, [ys[i] for i in tr] + ex_y, skip=skip, l2=L2[gate]
        )
        nb = _nb_model(*_fit_nb([xs[i] for i in tr], [cats[i] for i in tr]))
        for i in range(f, len(rows), folds):
            oof[i] = bias + sum(w.get(x, 0.0) for x in xs[i]) / math.sqrt(len(xs[i]) + 1)
            agree[i] = not nb.nb_allows(xs[i])
            # a window counts where the category model reads an offer in it too
            ws = [
                bias + sum(w.get(x, 0.0) for x in fs) / math.sqrt(len(fs) + 1)
                for fs in wins.get(i, ())
                if not nb.nb_allows(fs)
            ]
            if ws:
                win_raw[i] = max(ws)
    platt = _fit_platt(oof, ys)
    probs = [1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, platt[0] * s + platt[1])))) for s in oof]
    # the layer acts alone only where both models see an offer: the thresholds are chosen
    # on what it would do (a probability the category model contradicts counts as 0)
    acting = [p if a else 0.0 for p, a in zip(probs, agree, strict=True)]
    bias, w = _fit_lr(xs + ex_x, ys + ex_y, skip=skip, l2=L2[gate])
    w = {f: v for f, v in w.items() if abs(v) >= 1e-3}
    prior, loglik, unseen = _fit_nb(xs, cats)
    thresholds = _pick_thresholds(acting, ys, gate)
    if gate == "business":
        # chosen on the long descriptions the whole-text reading leaves unflagged
        left = [i for i in win_raw if acting[i] < thresholds["block"]]
        thresholds["window"] = _pick_window(
            [_platt(platt, win_raw[i]) for i in left], [ys[i] for i in left]
        )
    model = GateModel(bias, w, platt, thresholds, prior, loglik, unseen)
    return model, probs


def _platt(platt: tuple[float, float], raw: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, platt[0] * raw + platt[1]))))


def _nb_model(prior, loglik, unseen) -> GateModel:
    return GateModel(0.0, {}, (1.0, 0.0), {}, prior, loglik, unseen)


def corpus_hash(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def message_text(row: dict) -> str:
    return row.get("body") or ""


def business_text(row: dict) -> str:
    return f"{row.get('name') or ''}\n{row.get('industry_description') or ''}"


LINK_CATEGORIES = frozenset({"link_shortener", "unbranded_link", "obfuscated_link"})


def train(
    messages: list[dict],
    businesses: list[dict],
    k: Knowledge,
    meta: dict,
    vocab: Vocabulary | None = None,
) -> tuple[LearnedModel, dict]:
    """Both gates' models from labelled rows; also the out-of-fold probabilities by id.

    Link categories are left out of the message model: a link is judged by its host (the
    rules), not by the words around it."""
    messages = [r for r in messages if r.get("category") not in LINK_CATEGORIES]
    m_x = [
        (features(message_text(r), k, vocab=vocab), int(r["expected"] == "block")) for r in messages
    ]
    b_x = [
        (features(business_text(r), k, vocab=vocab), int(r["expected"] == "block"))
        for r in businesses
    ]
    # each gate learns from the other's texts too (the same trades in other words); measured
    # out of fold on the training corpus, recall at 0.97 precision rose from 0.71 to 0.85
    # (messages) and from 0.84 to 0.95 (businesses)
    m, m_oof = train_gate(messages, k, "message", message_text, extra=b_x, vocab=vocab)
    b, b_oof = train_gate(businesses, k, "business", business_text, extra=m_x, vocab=vocab)
    meta = {
        **meta,
        "feature_version": FEATURE_VERSION,
        "knowledge_version": k.version,
        "rows": {"message": len(messages), "business": len(businesses)},
    }
    oof = {
        "message": dict(zip([r["id"] for r in messages], m_oof, strict=True)),
        "business": dict(zip([r["id"] for r in businesses], b_oof, strict=True)),
    }
    return LearnedModel(m, b, meta), oof


def model_json(model: LearnedModel) -> str:
    return (
        json.dumps(
            {
                "meta": model.meta,
                "message": model.message.as_dict(),
                "business": model.business.as_dict(),
            },
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        + "\n"
    )
