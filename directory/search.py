"""Public search: forgiving of typos and word order, across titles, tags, descriptions,
organisation and venue names, with the filters people use to narrow a list.

Each query word is compared with every word the directory uses (rapidfuzz), so "gardning" finds
"gardening" and "knitin" finds "knitting"; an activity scores by how well each query word is met
in it, weighted by where the word appears and how distinctive it is.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import overload

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler
from scipy import sparse

from directory.categories import CATEGORIES, CATEGORY_WORDS, time_of_day
from directory.records import FEATURES, STALE_AFTER, ActivityRecord

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "at",
        "be",
        "by",
        "for",
        "from",
        "group",
        "groups",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "the",
        "to",
        "us",
        "we",
        "with",
        "you",
        "your",
    ]
)
FIELD_WEIGHTS = {"title": 1.0, "tags": 0.9, "category": 0.85, "organisation": 0.7, "venue": 0.6, "body": 0.5}


#: How alike two words must be (0-100) to count as the same word misspelt. Short words need to
#: be near-exact, or "art" would find "part" and "men" would find "women".
def min_similarity(word: str) -> float:
    if len(word) <= 3:
        return 100.0
    return 86.0 if len(word) == 4 else 80.0


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower().replace("'", "")) if w not in STOP_WORDS]


def _stem(word: str) -> str:
    # Plurals only: enough for "walks"/"walk" while keeping words recognisable for fuzzy matching.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class SearchFilters:
    categories: tuple[str, ...] = ()
    days: tuple[int, ...] = ()
    times: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()  # postcode districts such as S65
    features: tuple[str, ...] = ()
    free_only: bool = False
    organisation_id: str | None = None

    def accepts(self, record: ActivityRecord) -> bool:
        if self.categories and not set(self.categories) & set(record.categories):
            return False
        if self.organisation_id and record.organisation_id != self.organisation_id:
            return False
        if self.free_only and record.cost_pence > 0:
            return False
        if self.areas and (not record.postcode or record.postcode.split(" ")[0] not in self.areas):
            return False
        for feature in self.features:
            if feature in FEATURES and not record.has_feature(feature):
                return False
        if self.days or self.times:
            slots = [(w.weekday, time_of_day(w.start_time.hour)) for w in record.weekly]
            if not any(
                (not self.days or d in self.days) and (not self.times or t in self.times) for d, t in slots
            ):
                return False
        return True


@dataclass
class SearchHit:
    record: ActivityRecord
    score: float


class SearchResults(Sequence[SearchHit]):
    """Hits best first. A common word can match thousands of activities while a page shows
    twenty, so each hit is made only when it is looked at."""

    def __init__(self, records: list[ActivityRecord], rows: Sequence[int], scores: Sequence[float]) -> None:
        self._records = records
        self._rows = rows
        self._scores = scores

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> SearchHit: ...
    @overload
    def __getitem__(self, index: slice) -> list[SearchHit]: ...
    def __getitem__(self, index: int | slice) -> SearchHit | list[SearchHit]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return SearchHit(self._records[int(self._rows[index])], float(self._scores[index]))


def _searchable_text(record: ActivityRecord) -> dict[str, str]:
    """The text the word index is built from, by field."""
    return {
        "title": record.title,
        "tags": " ".join(record.tags),
        # The category's name and the words people use for it: "gardening" finds every listing in
        # gardening and nature.
        "category": " ".join(
            f"{CATEGORIES.get(key, '')} {CATEGORY_WORDS.get(key, '')}" for key in record.categories
        ),
        "organisation": record.organisation_name,
        "venue": f"{record.venue_name or ''} {record.venue_address}",
        "body": f"{record.description} {record.newcomer_notes}",
    }


class SearchIndex:
    """Fuzzy word index over activity records, updated one activity at a time."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, ActivityRecord] = {}
        self._dirty = True
        self._vocab: list[str] = []
        self._matrix: sparse.csc_matrix | None = None
        self._ids: list[str] = []
        #: The records in matrix row order, and each id's row.
        self._rows: list[ActivityRecord] = []
        self._row_of: dict[str, int] = {}
        #: Rows in title order, for listing everything when no words are given, and each row's
        #: place in that order, to break ties between equal scores.
        self._by_title: list[int] = []
        self._title_rank: np.ndarray = np.zeros(0, dtype=np.int64)
        #: When each row's listing was last confirmed (seconds since the epoch).
        self._confirmed: np.ndarray = np.zeros(0)
        self._idf: np.ndarray = np.zeros(0)
        #: Listings without search words, by filters and hour: at 10,000 activities building one
        #: costs more than the rest of the page. Emptied by every change but a place booked.
        self._listings: dict[tuple[SearchFilters, datetime], SearchResults] = {}
        #: Postcode districts of listed venues, for the area filter.
        self._areas: list[str] | None = None

    # CatalogueListener
    def rebuild(self, records: list[ActivityRecord]) -> None:
        with self._lock:
            self._records = {r.id: r for r in records}
            self._dirty = True
            self._changed()

    def upsert(self, record: ActivityRecord) -> None:
        with self._lock:
            previous = self._records.get(record.id)
            self._records[record.id] = record
            # Most changes are a place booked or a capacity changed: the words are the same, so
            # the new record is enough. Rebuilding the word index (a second or so at 10,000
            # activities) after every booking in any worker would stall every search.
            if previous is None or _searchable_text(previous) != _searchable_text(record):
                self._dirty = True
            elif not self._dirty:
                row = self._row_of[record.id]
                self._rows[row] = record
                self._confirmed[row] = record.confirmed_at.timestamp()
            # A place booked changes only the sessions: the listings hold the same rows in the
            # same order (they read each record afresh), so they stay.
            if previous is None or replace(previous, sessions=record.sessions) != record:
                self._changed()

    def remove(self, activity_id: str) -> None:
        with self._lock:
            self._records.pop(activity_id, None)
            self._dirty = True
            self._changed()

    def _changed(self) -> None:
        self._listings.clear()
        self._areas = None

    def areas(self) -> list[str]:
        """The postcode districts where listed activities meet, shortest first."""
        with self._lock:
            if self._areas is None:
                districts = {r.postcode.split(" ")[0] for r in self._records.values() if r.postcode}
                self._areas = sorted(districts, key=lambda d: (len(d), d))
            return list(self._areas)

    def _build(self) -> None:
        ids = list(self._records)
        weights_per_doc: list[dict[str, float]] = []
        df: Counter[str] = Counter()
        for activity_id in ids:
            record = self._records[activity_id]
            best: dict[str, float] = {}
            for name, text in _searchable_text(record).items():
                for word in words(text):
                    best[word] = max(best.get(word, 0.0), FIELD_WEIGHTS[name])
            weights_per_doc.append(best)
            df.update(best.keys())
        vocab = sorted(df)
        column = {w: i for i, w in enumerate(vocab)}
        rows, cols, vals = [], [], []
        for row, best in enumerate(weights_per_doc):
            for word, weight in best.items():
                rows.append(row)
                cols.append(column[word])
                vals.append(weight)
        n = max(len(ids), 1)
        self._matrix = sparse.csc_matrix((vals, (rows, cols)), shape=(len(ids), len(vocab)), dtype=np.float32)
        self._idf = np.array([math.log(1 + n / df[w]) for w in vocab], dtype=np.float32)
        self._vocab = vocab
        self._ids = ids
        self._rows = [self._records[i] for i in ids]
        self._row_of = {activity_id: row for row, activity_id in enumerate(ids)}
        self._by_title = sorted(range(len(ids)), key=lambda row: self._rows[row].title.lower())
        self._title_rank = np.empty(len(ids), dtype=np.int64)
        self._title_rank[self._by_title] = np.arange(len(ids))
        self._confirmed = np.array([r.confirmed_at.timestamp() for r in self._rows], dtype=np.float64)
        self._dirty = False

    def _similar_words(self, word: str) -> list[tuple[int, float]]:
        found: dict[int, float] = {}
        for _, score, index in process.extract(
            word, self._vocab, scorer=fuzz.ratio, score_cutoff=min_similarity(word), limit=25
        ):
            # Squared, so an exact word clearly beats a near miss.
            found[index] = (score / 100.0) ** 2
        if len(word) >= 5:
            # Misspellings keep the start of a word ("gardning" for "garden"); Jaro-Winkler rewards a
            # shared beginning, so it catches these where plain edit distance is too strict.
            for _, score, index in process.extract(
                word, self._vocab, scorer=JaroWinkler.normalized_similarity, score_cutoff=0.88, limit=25
            ):
                if self._vocab[index][:3] == word[:3]:
                    found[index] = max(found.get(index, 0.0), score**2 * 0.95)
        if len(word) >= 4:
            # "knit" should find "knitting": a prefix is a strong match even if the ratio is low.
            for index, candidate in enumerate(self._vocab):
                if candidate.startswith(word) and index not in found:
                    found[index] = 0.8
        return list(found.items())

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        now: datetime,
    ) -> SearchResults:
        filters = filters or SearchFilters()
        unfiltered = filters == SearchFilters()
        with self._lock:
            if self._dirty:
                self._build()
            records = self._rows
            query_words = list(dict.fromkeys(words(query or "")))[:12]
            if not query_words:
                # Everything, fresh listings first, each part in title order.
                key = (filters, now.replace(minute=0, second=0, microsecond=0))
                if key not in self._listings:
                    fresh, stale = [], []
                    for row in self._by_title:
                        record = records[row]
                        if unfiltered or filters.accepts(record):
                            (stale if record.is_stale(now) else fresh).append(row)
                    if len(self._listings) >= 64:
                        self._listings.clear()
                    rows = fresh + stale
                    self._listings[key] = SearchResults(records, rows, [0.0] * len(rows))
                return self._listings[key]
            assert self._matrix is not None
            total = np.zeros(len(self._ids), dtype=np.float32)
            possible = 0.0
            top_idf = float(self._idf.max()) if len(self._idf) else 1.0
            for word in query_words:
                candidates = self._similar_words(word)
                if not candidates:
                    possible += 1.0
                    continue
                indexes = [i for i, _ in candidates]
                similarity = np.array([s for _, s in candidates], dtype=np.float32)
                # A distinctive word ("knitting") counts for more than a common one ("rotherham"),
                # so "rother" is not met by every address in the borough.
                weight = similarity * (self._idf[indexes] / top_idf)
                total += (self._matrix[:, indexes].toarray() * weight).max(axis=1)
                possible += float(weight.max())
            if possible == 0:
                return SearchResults(records, [], [])
            rows = np.nonzero(total / possible >= 0.25)[0]
            if not unfiltered:
                rows = np.array([row for row in rows if filters.accepts(records[row])], dtype=np.int64)
            scores = (total[rows] / possible).astype(np.float64)
            stale = self._confirmed[rows] < now.timestamp() - STALE_AFTER.total_seconds()
            scores[stale] *= 0.8
            # Best first, equal scores in title order.
            order = np.lexsort((self._title_rank[rows], -scores))
            rows, scores = rows[order], scores[order]
        if len(rows):
            # Drop the long tail of one-common-word matches once good matches exist.
            kept = scores >= scores[0] * 0.35
            rows, scores = rows[kept], scores[kept]
        return SearchResults(records, rows, scores)


def next_sessions(record: ActivityRecord, today: date, count: int = 4) -> list:
    return [s for s in record.sessions if s.date >= today][:count]


def within_weeks(record: ActivityRecord, today: date, weeks: int) -> list:
    end = today + timedelta(weeks=weeks)
    return [s for s in record.sessions if today <= s.date < end]
