"""Turning what people type and what listings say into comparable word stems.

Both sides go through the same steps (lower case, no punctuation, a light English stemmer, stop
words dropped) so that "gardening", "garden" and "gardens" meet, and misspelt words are mapped to
the nearest word the directory actually uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

# Apostrophes stay inside a word ("don't", "women's") so the span quoted back is what was typed.
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")
_APOSTROPHES = str.maketrans("", "", "'\u2019")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOP_WORDS: frozenset[str] = _word_set(
    """
    a about above after again against all almost also am an and any anyone anything are around as at
    be because been before being below between both but by can cannot could did do does doing done
    down during each either else even ever every few for from further get gets getting got had has
    have having he her here hers herself him himself his how i id if ill im in into is isnt it its
    itself ive just me more most much my myself no nor not now of off on once only or other our ours
    ourselves out over own quite rather really same she should so some something somewhere such than
    that thats the their theirs them themselves then there these they theyre this those through to
    too under until up upon us very was wasnt we were what whatever when where which while who whom
    why will with would yet you your youre yours yourself
    dont doesnt didnt cant couldnt wont wouldnt shouldnt havent hasnt hadnt arent werent
    like likes liked love loved enjoy enjoyed enjoys want wanted wants wanna need needs needed bit
    lot lots kind sort maybe perhaps thing things stuff good great nice bad rubbish ok okay fine
    used use try trying tried go going went gone come coming make making made feel feeling felt
    think know knew look looking day days week weeks time times year years back again still always
    never sometimes often usually probably definitely honestly mean actually though although since
    yes yeah one two three first last new old little big home house place places
    """
)

# Words where "-er" is part of the word, not an ending ("water" is not "wat" + "er").
_KEEP_ER = _word_set(
    """
    after another brother butter career centre center cancer corner daughter dinner ever
    father flower however leather letter matter member mother never number other over paper partner
    peer power river shower silver sister summer supper together tower under volunteer water weather
    whatever winter wonder
    """
)
_NO_UNDOUBLE = frozenset("lsz")
#: Words the light stemmer would merge with a different word ("car" and "caring" both "car").
_OWN_STEMS = {"car": "motorcar", "cars": "motorcar"}
_VOWELS = frozenset("aeiouy")


@dataclass(frozen=True, slots=True)
class Word:
    """One word as typed: where it sits in the text, its plain form and its stem."""

    start: int
    end: int
    plain: str
    stem: str


@lru_cache(maxsize=200_000)
def plain(word: str) -> str:
    """Lower case, accents and apostrophes removed: "Café's" -> "cafes"."""
    if word.isascii():
        return word.lower().translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_APOSTROPHES)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light stemmer for plurals and -ing, -ed, -er, written to keep short words whole.

    "-ing"/"-ed" come off before "-er" so that "nattering" and "natter" both become "nat".
    """
    w = word
    if w in _OWN_STEMS:
        return _OWN_STEMS[w]
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("sses") or w.endswith(("xes", "ches", "shes", "zes")):
        w = w[:-2]
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for endings in (("ing", "ed"), ("er",)):
        if w in _KEEP_ER:
            return w
        stripped = _strip_ending(w, endings)
        if stripped != w:
            w = stripped
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in _VOWELS and w[-1] not in _NO_UNDOUBLE:
                w = w[:-1]
    if len(w) > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]
    return w


def _strip_ending(w: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if not w.endswith(ending):
            continue
        base = w[: -len(ending)]
        # A stem needs a vowel and three letters ("sing" and "shed" stay whole), four before
        # "-er" so that "cater" and "eater" do not become "cat" and "eat".
        if len(base) < (4 if ending == "er" else 3) or not any(ch in _VOWELS for ch in base):
            return w
        if base.endswith("e") and ending in ("ed", "er"):
            return w  # "need", "seed", "peer", "volunteer"
        return base
    return w


def words(text: str) -> list[Word]:
    """Every word in the text, stop words included, with its position in the original."""
    found: list[Word] = []
    for match in _WORD.finditer(text or ""):
        p = plain(match.group())
        if p:
            found.append(Word(match.start(), match.end(), p, stem(p)))
    return found


@lru_cache(maxsize=200_000)
def _written_stem(written: str) -> str:
    """The stem of a word as written, or "" for stop words and single letters."""
    p = plain(written)
    return stem(p) if len(p) > 1 and p not in STOP_WORDS else ""


def tokens(text: str) -> list[str]:
    """The stems a text model should see: stop words and single letters dropped."""
    return [s for s in map(_written_stem, _WORD.findall(text or "")) if s]


#: Multi-word senses read as one term, in listings and in what people say, so that their words
#: do not match on their own: "hearing voices" is not a singing group's "voice".
SENSE_PHRASES: tuple[str, ...] = (
    "hearing voices",
    "hear voices",
    "voice hearers",
    "big groups",
    "big group",
    "large groups",
)


@lru_cache(maxsize=1)
def _sense_keys() -> dict[tuple[str, ...], str]:
    keys: dict[tuple[str, ...], str] = {}
    for phrase in SENSE_PHRASES:
        key = tuple(tokens(phrase))
        if len(key) > 1:
            keys[key] = " ".join(key)
    return keys


def sense_term(phrase: str) -> str | None:
    """The single term a multi-word sense is read as, or None if it is not one."""
    return _sense_keys().get(tuple(tokens(phrase)))


def sense_spans(stems: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) for each multi-word sense in a run of stems (stop words already out)."""
    keys = _sense_keys()
    found = []
    i = 0
    while i < len(stems):
        for n in (3, 2):
            if i + n > len(stems):
                continue
            term = keys.get(tuple(stems[i : i + n]))
            if term is not None:
                found.append((i, i + n, term))
                i += n
                break
        else:
            i += 1
    return found


def surface_forms(text: str, wanted: Container[str] | None = None) -> dict[str, str]:
    """The first way each stem (of those `wanted`) is written in a text, for quoting it back."""
    forms = _surface_forms(text or "")
    return dict(forms) if wanted is None else {s: w for s, w in forms.items() if s in wanted}


@lru_cache(maxsize=4096)
def _surface_forms(text: str) -> dict[str, str]:
    # The same activities are explained again and again; reading their text once is enough.
    forms: dict[str, str] = {}
    for written in _WORD.findall(text):
        s = _written_stem(written)
        if s and s not in forms:
            forms[s] = written.lower()
    return forms


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Plain words (not stems) used across texts: what the spelling corrector may suggest."""
    written: set[str] = set()
    for text in texts:
        written.update(_WORD.findall(text or ""))
    plains = {plain(w) for w in written}
    return {p for p in plains if len(p) > 2 and p.isalpha() and p not in STOP_WORDS}


class SpellingCorrector:
    """Maps a word the directory does not know to the closest one it does, or to nothing.

    The cutoff (a rapidfuzz ratio of 80) accepts one or two slips in a word ("gardning",
    "knitin", "walkng") but not a different word of similar shape ("pottery" is not "poetry").
    Typos rarely change the first letter, so only words sharing it are compared, which also keeps
    each look-up to a small slice of the vocabulary.
    """

    def __init__(
        self,
        vocabulary: Iterable[str],
        *,
        cutoff: float = 80.0,
        min_length: int = 4,
        cache_size: int = 20_000,
    ) -> None:
        self.cutoff = cutoff
        self.min_length = min_length
        self._words: set[str] = set()
        self._stems: set[str] = set()
        self._by_initial: dict[str, list[str]] = {}
        self._lookup = lru_cache(maxsize=cache_size)(self._closest)
        self.add(vocabulary)

    def add(self, words: Iterable[str]) -> bool:
        """Learn more directory words (a coordinator's edit); True if any were new."""
        new = {w for w in words if w and w not in self._words}
        if not new:
            return False
        self._words |= new
        self._stems |= {stem(w) for w in new}
        for w in sorted(new):  # a fixed order, so ties resolve the same way in every process
            self._by_initial.setdefault(w[0], []).append(w)
        self._lookup.cache_clear()
        return True

    def __contains__(self, word: str) -> bool:
        return word in self._words or stem(word) in self._stems

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def correct(self, word: str) -> str | None:
        """The vocabulary word meant by `word`: itself if known, a near word, or None."""
        p = plain(word or "")
        if not p:
            return None
        if p in self:
            return p
        if len(p) < self.min_length or not p.isalpha() or p in STOP_WORDS:
            return None
        return self._lookup(p)

    def _closest(self, word: str) -> str | None:
        candidates = [w for w in self._by_initial.get(word[0], ()) if abs(len(w) - len(word)) <= 3]
        if not candidates:
            return None
        best = process.extractOne(word, candidates, scorer=fuzz.ratio, score_cutoff=self.cutoff)
        return best[0] if best else None
