"""Plain rankers to measure the engine against: for speed and for ranking quality.

None of these know about synonyms, spelling, needs or dates; they are what a first attempt would
do, and the engine has to beat them on quality while staying within a small factor on speed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from directory.records import ActivityRecord
from matching.geo import miles_between, miles_from, usable_point
from matching.profile import Profile
from matching.text import tokens


def _point(profile: Profile) -> tuple[float, float] | None:
    if profile.latitude is None or profile.longitude is None:
        return None
    return usable_point(profile.latitude, profile.longitude)


def _unit_vectors(records: Sequence[ActivityRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lat = np.radians([np.nan if r.latitude is None else r.latitude for r in records])
    lon = np.radians([np.nan if r.longitude is None else r.longitude for r in records])
    return np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, scores.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    return top[np.argsort(-scores[top], kind="stable")]


class BareBaseline:
    """Stock TF-IDF over the same fields, dot product plus closeness, top-k by argpartition."""

    def __init__(self, records: Sequence[ActivityRecord]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer  # about a second to import; see index.py

        self.records = list(records)
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
        self.matrix = self.vectorizer.fit_transform([r.text() for r in self.records]).tocsr()
        self.unit_x, self.unit_y, self.unit_z = _unit_vectors(self.records)

    def scores(self, profile: Profile) -> np.ndarray:
        query = self.vectorizer.transform([profile.interests or ""])
        scores = np.asarray(self.matrix @ query.toarray().ravel(), dtype=np.float64)
        point = _point(profile)
        if point is not None:
            miles = miles_from(*point, self.unit_x, self.unit_y, self.unit_z)
            scores += 0.2 * np.nan_to_num(np.exp(-miles / 4.0), nan=0.0)
        return scores

    def top(self, profile: Profile, k: int = 10) -> list[str]:
        return [self.records[i].id for i in _top(self.scores(profile), k)]


def nearest_first(records: Sequence[ActivityRecord], profile: Profile, k: int = 10) -> list[str]:
    """The k closest activities to the person, ignoring everything else."""
    point = _point(profile)
    if point is None:
        return [r.id for r in records[:k]]

    def miles(r: ActivityRecord) -> float:
        there = usable_point(r.latitude, r.longitude)
        return math.inf if there is None else miles_between(*point, *there)

    return [r.id for r in sorted(records, key=miles)[:k]]


class BM25Ranker:
    """Okapi BM25 (k1=1.2, b=0.75) over the same fields, on stems, without synonyms or spelling."""

    def __init__(self, records: Sequence[ActivityRecord], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.records = list(records)
        self.k1, self.b = k1, b
        docs = [Counter(tokens(r.text())) for r in self.records]
        self.lengths = np.array([sum(d.values()) for d in docs], dtype=float)
        self.average = float(self.lengths.mean()) if docs else 0.0
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, doc in enumerate(docs):
            for term, count in doc.items():
                rows, counts = postings.setdefault(term, ([], []))
                rows.append(i)
                counts.append(count)
        n = len(docs)
        self.postings = {t: (np.array(r), np.array(c, dtype=float)) for t, (r, c) in postings.items()}
        self.idf = {t: math.log(1 + (n - len(r) + 0.5) / (len(r) + 0.5)) for t, (r, _) in postings.items()}

    def scores(self, text: str) -> np.ndarray:
        scores = np.zeros(len(self.records))
        norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.average, 1e-9))
        for term in set(tokens(text or "")):
            if term not in self.postings:
                continue
            rows, tf = self.postings[term]
            scores[rows] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm[rows])
        return scores

    def top(self, profile: Profile | str, k: int = 10) -> list[str]:
        text = profile if isinstance(profile, str) else profile.interests
        return [self.records[i].id for i in _top(self.scores(text), k)]
