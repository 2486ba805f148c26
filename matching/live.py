"""Keeps a worker's matching engine in step with the directory.

The engine subscribes to the worker's catalogue: each change a coordinator makes (a new
session, a capacity, a description) arrives as one upsert, so the next match sees it without a
restart or a refit; a full reload (first use, a new day) builds a fresh engine.
"""

from __future__ import annotations

import threading

from core import clock
from directory.records import ActivityRecord
from matching.engine import MatchingEngine


class LiveMatcher:
    """A CatalogueListener holding the current engine."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Built on first use: the catalogue's first load replaces it with the real one anyway.
        self._engine: MatchingEngine | None = None

    @property
    def engine(self) -> MatchingEngine:
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = MatchingEngine([], today=clock.today())
        return self._engine

    def rebuild(self, records: list[ActivityRecord]) -> None:
        engine = MatchingEngine(records, today=clock.today())
        with self._lock:
            self._engine = engine

    def upsert(self, record: ActivityRecord) -> None:
        self.engine.upsert(record)

    def remove(self, activity_id: str) -> None:
        self.engine.remove(activity_id)
