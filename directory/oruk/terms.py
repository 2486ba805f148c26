"""Reading other directories' taxonomy terms as Flourish categories and features.

Feeds describe their services in their own taxonomies: the LGA / esd service types and needs,
the OpenActive activity list, or lists of their own. A term is read, in order, by:

1. an administrator's mapping for that taxonomy and term (kept in the term_mapping table);
2. a shipped mapping (vocabularies/*.yaml): by code, by name or one of its other names;
3. a close spelling of a shipped name ("Chair-based excercise");
4. a shipped name contained in the term as a phrase ("Community walking groups");
5. its name and description read as prose (directory.oruk.prose), for features.

What none of these understands is unmapped: listed in the import report and kept, with how
often it was seen, for an administrator to map; the next import uses the mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from directory.categories import CATEGORIES
from directory.records import FEATURES

VOCABULARIES = Path(__file__).parent / "vocabularies"
NONE = "none"
#: A rapidfuzz ratio at or above this reads a term as a shipped name with a slip or two.
CLOSE_SPELLING = 88


def normalise(text: str) -> str:
    """Lower case, "&" as "and", punctuation as spaces, spaces collapsed: "Arts & Crafts" -> "arts and crafts"."""
    text = (text or "").lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"[^\w']+", " ", text).replace("'", "")
    return " ".join(text.split())


def valid_target(target: str) -> bool:
    kind, _, code = target.partition(":")
    return (
        target == NONE
        or (kind == "category" and code in CATEGORIES)
        or (kind == "feature" and code in FEATURES)
    )


@dataclass(frozen=True)
class Vocabulary:
    name: str
    taxonomies: frozenset[str]
    #: Normalised name (and other names, and codes) -> targets.
    terms: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def vocabularies() -> tuple[Vocabulary, ...]:
    """The shipped mappings."""
    found = []
    for path in sorted(VOCABULARIES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        terms: dict[str, tuple[str, ...]] = {}
        for item in data["terms"]:
            targets = tuple(item["maps_to"])
            assert all(valid_target(t) for t in targets), (path.name, item)
            for name in (item["name"], *item.get("also", ()), *map(str, item.get("codes", ()))):
                terms[normalise(name)] = targets
        found.append(Vocabulary(data["name"], frozenset(normalise(t) for t in data["taxonomies"]), terms))
    return tuple(found)


@dataclass(frozen=True)
class Reading:
    """What one term was read as, and how (for the report)."""

    targets: tuple[str, ...]
    how: str


class TermReader:
    """Reads foreign terms; `mappings` are an administrator's, (taxonomy, term) -> targets."""

    def __init__(self, mappings: Mapping[tuple[str, str], Iterable[str]] | None = None) -> None:
        self.mappings = {
            (normalise(t), normalise(n)): tuple(v) for (t, n), v in (mappings or {}).items() if v
        }
        self._cache: dict[tuple[str, str, str], Reading | None] = {}

    def read(self, taxonomy: str, code: str, name: str) -> Reading | None:
        key = (normalise(taxonomy), normalise(code), normalise(name))
        if key not in self._cache:
            self._cache[key] = self._read(*key)
        return self._cache[key]

    def _read(self, taxonomy: str, code: str, name: str) -> Reading | None:
        for term in (name, code):
            if term and (taxonomy, term) in self.mappings:
                return Reading(self.mappings[(taxonomy, term)], "an administrator's mapping")
            if term and ("", term) in self.mappings:
                return Reading(self.mappings[("", term)], "an administrator's mapping")
        chosen = [v for v in vocabularies() if taxonomy and _names_taxonomy(v, taxonomy)]
        ordered = chosen + [v for v in vocabularies() if v not in chosen]
        uri_tail = normalise(code.rsplit("/", 1)[-1].rsplit("#", 1)[-1]) if "/" in code or "#" in code else ""
        for vocabulary in ordered:
            for term in (code, uri_tail, name):
                if term and term in vocabulary.terms:
                    return Reading(vocabulary.terms[term], f"the {vocabulary.name} mapping")
        if not name:
            return None
        for vocabulary in ordered:
            best = process.extractOne(
                name, list(vocabulary.terms), scorer=fuzz.ratio, score_cutoff=CLOSE_SPELLING
            )
            if best:
                return Reading(
                    vocabulary.terms[best[0]],
                    f"a close spelling of {best[0]!r} in the {vocabulary.name} mapping",
                )
        padded = f" {name} "
        for vocabulary in ordered:
            inside = [known for known in vocabulary.terms if len(known) > 3 and f" {known} " in padded]
            if inside:
                longest = max(inside, key=len)
                return Reading(vocabulary.terms[longest], f"{longest!r} in the {vocabulary.name} mapping")
        return None


def _names_taxonomy(vocabulary: Vocabulary, taxonomy: str) -> bool:
    return taxonomy in vocabulary.taxonomies or any(
        t in taxonomy for t in vocabulary.taxonomies if len(t) > 4
    )
