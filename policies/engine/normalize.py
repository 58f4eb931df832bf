"""Text normalisation for matching: one pass from raw text to canonical words.

Pipeline per whitespace token (spans stay in original-text offsets):
NFKD + drop combining marks (accents) -> confusables to Latin -> zero-width removal ->
lower case -> leetspeak (only in tokens mixing letters and leet symbols) -> separator
removal inside a token ("l.o.a.n") -> runs of single letters joined ("c a s h") ->
repeated letters collapsed ("loooan") -> light plural stem.

Each word remembers whether getting to it needed any de-obfuscation, so a match can
say it was evasive.
"""

import re
import unicodedata
from itertools import pairwise
from typing import Any

ZERO_WIDTH = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2061\u2062\u2063\u2064\u034f"
)

# Letters from other scripts that look like Latin ones (a working subset of Unicode
# TR39 confusables: Cyrillic, Greek, Armenian, fullwidth is already folded by NFKD).
CONFUSABLES = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "с": "c",
    "ԁ": "d",
    "е": "e",
    "ё": "e",
    "һ": "h",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "ӏ": "l",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "ԛ": "q",
    "г": "r",
    "ѕ": "s",
    "т": "t",
    "υ": "u",
    "ѵ": "v",
    "ԝ": "w",
    "х": "x",
    "у": "y",
    "ү": "y",
    "з": "3",
    "ь": "b",
    "п": "n",
    "л": "n",
    "д": "a",
    "ʙ": "b",
    # Greek
    "α": "a",
    "β": "b",
    "ϲ": "c",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "χ": "x",
    "γ": "y",
    "ω": "w",
    "μ": "u",
    "ς": "s",
    "ѡ": "w",
    "ɑ": "a",
    "ɡ": "g",
    "ɩ": "i",
    "ɪ": "i",
    "ʟ": "l",
    "ɴ": "n",
    "ʀ": "r",
    "ꜱ": "s",
    "ᴀ": "a",
    "ᴄ": "c",
    "ᴅ": "d",
    "ᴇ": "e",
    "ᴊ": "j",
    "ᴋ": "k",
    "ᴍ": "m",
    "ᴏ": "o",
    "ᴘ": "p",
    "ᴛ": "t",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ᴢ": "z",
    # Armenian and others
    "օ": "o",
    "ս": "u",
    "ց": "g",
    "ք": "p",
    "հ": "h",
    "ո": "n",
    "ı": "i",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ħ": "h",
    "ŀ": "l",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "ⅰ": "i",
    "ⅼ": "l",
    "ⅽ": "c",
    "ⅾ": "d",
    "ⅿ": "m",
}

_FOLD: dict[int, str | None] = {ord(k): v for k, v in CONFUSABLES.items()}
_FOLD.update({ord(c): None for c in ZERO_WIDTH})
# Typographic punctuation to ASCII so separators are recognised.
_FOLD.update({ord(c): "'" for c in "‘’`´"})
_FOLD.update({ord(c): '"' for c in "“”"})
_FOLD.update({ord(c): "-" for c in "‐‑‒–—―"})
_FOLD.update({ord(c): "." for c in "·•∙⋅"})

LEET = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "+": "t",
    "€": "e",
    "£": "l",
    "¡": "i",
}
_LEET = str.maketrans(LEET)
_LEET_L = str.maketrans({**LEET, "1": "l", "!": "l"})
_LEET_CHARS = frozenset(LEET)

# Tokens with digits that are ordinary: 1st, 24/7, 9am, 10am-6pm, 2x, 50lbs, $25, 20%...
_ORDINARY_NUMERIC = re.compile(
    r"^[$#(]?\d+([.,:/-]\d+)*(st|nd|rd|th|am|pm|a|p|k|x|s|hr|hrs|h|min|mins|lb|lbs|oz|ft|"
    r"in|mg|ml|yr|yrs|day|days|wk|wks|mo|%|\+|gb|mb|mm|cm|m|km|mi)?"
    r"(-\d+([.,:]\d+)*(am|pm|a|p)?)?[).,!?:;%]*$"
)
_WORD_PIECES = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"(.)\1{2,}")
_TOKEN = re.compile(r"\S+")


# A word is a plain tuple for speed: (text, alt, obfuscated). text: the canonical form
# used for matching; alt: a second reading ("1" read as "l", the squashed "pay-day");
# obfuscated: de-obfuscation was needed. Normalised keeps, beside the words, the index of
# the whitespace token each word starts and ends in; spans are computed only on a match.
Word = tuple
TEXT, ALT, OBF = range(3)


_SYMBOL_LEET = frozenset("@$!|+€£¡")


def _is_leet(core: str) -> bool:
    """l0an, c4$h, v1agra: a leet symbol between letters (or a symbol touching a letter).

    Digits only at the edge (ar15, m80, b12, covid19) are model numbers, not leetspeak."""
    n = len(core)
    for i, c in enumerate(core):
        if c not in _LEET_CHARS:
            continue
        left = core[i - 1] if i else ""
        right = core[i + 1] if i + 1 < n else ""
        if c in _SYMBOL_LEET and (left.isalpha() or right.isalpha()):
            return True
        # a digit with a letter on both sides, possibly across other leet chars: p4yd4y, w33d
        j = i - 1
        while j >= 0 and core[j] in _LEET_CHARS:
            j -= 1
        k = i + 1
        while k < n and core[k] in _LEET_CHARS:
            k += 1
        if j >= 0 and k < n and core[j].isalpha() and core[k].isalpha():
            return True
    return False


def stem(word: str) -> str:
    """Light plural folding, applied to text and rules alike."""
    n = len(word)
    if n > 3 and word[-1] == "s" and word[-2] not in "su'":
        if word.endswith("ies") and n > 5:
            return word[:-3] + "y"
        return word[:-1]
    return word


def fold(text: str) -> str:
    """Unicode folding only: accents, compatibility forms, confusables, zero-width, case."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c)).lower()
        return unicodedata.normalize("NFKC", text.translate(_FOLD))
    return text.lower()


def _odd_case(piece: str) -> bool:
    """LoAn, pAyDaY: case switching inside a word (beyond Title/UPPER/lower)."""
    if piece.islower() or piece.isupper() or piece.istitle():
        return False
    if piece.isascii() and piece.lower() == piece:
        return False  # no upper-case letter (555-0123, 24/7): no switch
    switches = sum(1 for a, b in pairwise(piece) if a.isupper() != b.isupper())
    return switches >= 3


# Scripts whose letters look like no Latin letter: a word written in them next to Latin
# letters is a language, not a disguise ("BBQ입니다", "BBQ店", "Wi-Fiは"). Ranges of code points.
_NO_LOOKALIKES = (
    (0x0590, 0x08FF),  # Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan ... Arabic Extended
    (0x0900, 0x0DFF),  # Devanagari ... Sinhala
    (0x0E00, 0x0FFF),  # Thai, Lao, Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x1200, 0x139F),  # Ethiopic
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x9FFF),  # CJK symbols, Hiragana, Katakana, Bopomofo, Hangul compatibility, Han
    (0xA960, 0xA97F),  # Hangul Jamo Extended-A
    (0xAC00, 0xD7FF),  # Hangul syllables and Jamo Extended-B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE70, 0xFEFF),  # Arabic presentation forms-B
    (0x20000, 0x3FFFF),  # CJK extensions
)


def _no_lookalike(code: int) -> bool:
    return any(lo <= code <= hi for lo, hi in _NO_LOOKALIKES)


def _mixed_script(tok: str) -> bool:
    """Latin letters mixed with Cyrillic/Greek ones inside one token: a homoglyph trick.

    A letter that is a Latin letter with marks (Vietnamese "ở", "ạ", "ư": Latin Extended
    Additional, past U+0370) is Latin: "Phở" is a word, not a trick. Small capitals
    ("ᴀ", "ꜱ") and other scripts' look-alikes have no such decomposition. Korean, Chinese,
    Japanese, Thai, Arabic, Hebrew and Indic letters look like no Latin letter: Korean
    grammar on an English word ("BBQ입니다") is how people write."""
    latin = other = False
    for c in tok:
        if c.isalpha():
            if c.isascii():
                latin = True
            elif (
                ord(c) >= 0x370
                and not unicodedata.normalize("NFD", c)[0].isascii()
                and not _no_lookalike(ord(c))
            ):
                other = True
    return latin and other


class Normalised:
    __slots__ = ("_spans", "_text", "homoglyph_tokens", "t0", "t1", "words")

    def __init__(
        self,
        words: list[Word],
        t0: list[int],
        t1: list[int],
        homoglyph_tokens: list[int],
        text: str,
    ) -> None:
        self.words: list[Word] = words
        self.t0: list[int] = t0  # token index where word i starts
        self.t1: list[int] = t1  # token index where word i ends (differs for joined runs)
        self.homoglyph_tokens: list[int] = homoglyph_tokens
        self._text = text
        self._spans: list[tuple[int, int]] | None = None

    @property
    def spans(self) -> list[tuple[int, int]]:
        """(start, end) in the original text of each whitespace token."""
        if self._spans is None:
            self._spans = [m.span() for m in _TOKEN.finditer(self._text)]
        return self._spans

    def span(self, i: int, j: int | None = None) -> tuple[int, int]:
        """Span of words i..j (inclusive) in the original text."""
        spans = self.spans
        return spans[self.t0[i]][0], spans[self.t1[i if j is None else j]][1]

    @property
    def homoglyph_spans(self) -> list[tuple[int, int]]:
        return [self.spans[i] for i in self.homoglyph_tokens]


# raw token -> (pieces: ((text, alt, obfuscated), ...), homoglyph). Tokens repeat a lot in
# real traffic ("your", "appointment", "Reply"), so each distinct token is analysed once.
_TOKEN_CACHE: dict[str, tuple[tuple[Word, ...], bool, int, bool]] = {}
_TOKEN_CACHE_MAX = 200_000


def _analyse_pieces(raw: str) -> tuple[tuple[tuple[str, str | None, bool], ...], bool]:
    obf = False
    homoglyph = False
    if raw.isascii():
        tok = raw.lower()
        if "'" in tok:
            tok = tok.replace("'", "")  # won't -> wont, you've -> youve: one word, as spoken
    else:
        tok = fold(raw).replace("'", "")
        homoglyph = _mixed_script(raw) or any(c in ZERO_WIDTH for c in raw if c != "\u200d")
        obf = tok != raw.lower()
    if not raw.islower() and _odd_case(raw):
        obf = True
    alt = None
    if not tok.isalpha():
        has_alpha = any(c.isalpha() for c in tok)
        if has_alpha and any(c in _LEET_CHARS for c in tok) and not _ORDINARY_NUMERIC.match(tok):
            core = tok.strip(".,!?;:'\"()[]{}<>*")
            if core and _is_leet(core):
                leet = core.translate(_LEET)
                if "1" in core or "!" in core:
                    alt_pieces = _WORD_PIECES.findall(core.translate(_LEET_L))
                    alt = "".join(alt_pieces) if alt_pieces else None
                if leet != core:
                    obf = True
                tok = leet
            elif core:
                # escor7, 4mm0: leet digits only at the edges are read as a second form,
                # so model numbers (ar15, covid19, 9mm) keep their first reading
                edge = _WORD_PIECES.findall(core.translate(_LEET))
                if len(edge) == 1:
                    alt = edge[0]
        pieces = _WORD_PIECES.findall(tok)
        if not pieces:
            if len(tok) == 1 and tok in _LEET_CHARS:
                return ((tok, None, obf),), homoglyph
            return (), homoglyph
        if len(pieces) > 1:
            if max(len(p) for p in pieces) <= 2 and sum(len(p) for p in pieces) >= 3:
                # l.o.a.n, ca-sh: separators inside one word
                joined = "".join(pieces)
                joined = _REPEAT.sub(r"\1", joined) if len(joined) > 3 else joined
                return ((stem(joined), None, True),), homoglyph
            out: list[tuple[str, str | None, bool]] = [
                (stem(_REPEAT.sub(r"\1", p) if len(p) > 3 else p), None, obf) for p in pieces
            ]
            # the squashed reading (pay-day, vi.agra) as an alternative of the last piece
            out[-1] = (out[-1][0], stem("".join(pieces)), obf)
            return tuple(out), homoglyph
        tok = pieces[0]
    if len(tok) > 3:
        collapsed = _REPEAT.sub(r"\1", tok)
        if collapsed != tok:
            obf = True
            # "loooan" -> "loan", and "weeed" -> "wed" with "weed" as the second reading
            alt = alt or _REPEAT.sub(r"\1\1", tok)
            tok = collapsed
    return ((stem(tok), stem(alt) if alt else None, obf),), homoglyph


def _analyse(raw: str) -> tuple[tuple[Word, ...], bool, int, bool]:
    """(words, homoglyph, how many words are one character, whether the token is simply
    one word and no homoglyph)."""
    pieces, homoglyph = _analyse_pieces(raw)
    singles = sum(1 for p in pieces if len(p[0]) == 1)
    return pieces, homoglyph, singles, len(pieces) == 1 and not homoglyph


def normalise(text: str, skip: list[tuple[int, int]] | None = None) -> Normalised:
    """Canonical words of ``text``; tokens overlapping ``skip`` spans (links) are left out."""
    if skip:
        # blank the skipped spans (same length), so token indexes and spans stay aligned
        chars = list(text)
        for s0, e0 in skip:
            chars[s0:e0] = " " * (e0 - s0)
        text = "".join(chars)
    cache = _TOKEN_CACHE
    # str.split() splits on exactly the characters \s matches, so token i here is match i
    # of _TOKEN.finditer (which computes the spans, only when something matched)
    raws = text.split()
    gots: list[Any] = [cache.get(raw) for raw in raws]
    if not all(gots):  # a miss (every entry is a non-empty tuple)
        for ti, got in enumerate(gots):
            if got is None:
                raw = raws[ti]
                got = gots[ti] = _analyse(raw)
                if len(cache) >= _TOKEN_CACHE_MAX:
                    cache.clear()
                cache[raw] = got
    words: list[Word]
    t0: list[int]
    homoglyphs: list[int] = []
    singles = 0
    simple = [got[3] for got in gots]  # one word, no homoglyph (a list: faster than a generator)
    if all(simple):
        words = [got[0][0] for got in gots]
        t0 = list(range(len(gots)))
        singles = sum([got[2] for got in gots])
    else:
        words, t0 = [], []
        for ti, got in enumerate(gots):
            pieces, homoglyph, n_single, _ = got
            if len(pieces) == 1:
                words.append(pieces[0])
                t0.append(ti)
            elif pieces:
                words.extend(pieces)
                t0.extend([ti] * len(pieces))
            if homoglyph:
                homoglyphs.append(ti)
            singles += n_single
    norm = Normalised(words, t0, t0, homoglyphs, text)
    if singles >= 3:
        _join_spaced_letters(norm)
    elif singles:
        keep = [i for i, w in enumerate(words) if w[TEXT].isalnum()]
        norm.words = [words[i] for i in keep]
        norm.t0 = norm.t1 = [t0[i] for i in keep]
    return norm


def _join_spaced_letters(norm: Normalised) -> None:
    """ "c a s h", "L O A N S", "v 4 p e $": three or more single characters in a row become
    one word; a wider gap ("P E R S O N A L   L O A N") ends a word."""
    words, t0 = norm.words, norm.t0
    spans = norm.spans
    text = norm._text

    def single(i: int) -> bool:
        t = words[i][TEXT]
        s0, e0 = spans[t0[i]]
        return len(t) == 1 and (t.isalpha() or t in _LEET_CHARS) and e0 - s0 <= 2

    def close(i: int, j: int) -> bool:
        gap = text[spans[t0[i]][1] : spans[t0[j]][0]]
        return len(gap) <= 1 or bool(gap.strip())

    i = 0
    n = len(words)
    out: list[Word] = []
    o0: list[int] = []
    o1: list[int] = []
    while i < n:
        j = i
        while j < n and single(j) and (j == i or close(j - 1, j)):
            j += 1
        if j - i >= 3 and sum(words[k][TEXT].isalpha() for k in range(i, j)) >= 2:
            joined = "".join(words[k][TEXT] for k in range(i, j)).translate(_LEET)
            out.append((stem(joined), None, True))
            o0.append(t0[i])
            o1.append(t0[j - 1])
            i = j
        else:
            if words[i][TEXT].isalnum():
                out.append(words[i])
                o0.append(t0[i])
                o1.append(t0[i])
            i += 1
    norm.words, norm.t0, norm.t1 = out, o0, o1


def canonical_phrase(phrase: str) -> tuple[str, ...]:
    """A rule's phrase in the same canonical words as text (rules go through the same path)."""
    return tuple(w[TEXT] for w in normalise(phrase).words)
