"""The rows an ORUK import writes: the report, the constants every part shares, and one
queue per table, flushed as multi-row inserts, with an audit entry per change."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from core import audit
from core.audit import Actor, AuditEntry

log = logging.getLogger("flourish")

BATCH_SIZE = 1000
#: Rows per multi-row INSERT; keeps each statement well inside SQLite's and PostgreSQL's limits.
INSERT_CHUNK = 500
SOURCE = "ORUK import"

ADDED, CHANGED, UNCHANGED, SKIPPED = "added", "changed", "unchanged", "skipped"
OUTCOME_LABELS = {
    ADDED: "Added",
    CHANGED: "Changed",
    UNCHANGED: "Already up to date",
    SKIPPED: "Skipped",
}

VENUE_FIELDS = (
    "name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "step_free",
    "accessible_toilet",
    "parking",
    "bus_routes",
    "how_to_get_there",
)
ORGANISATION_FIELDS = ("name", "description", "email", "website", "org_id", "other_org_ids")


# ---- the report ---------------------------------------------------------------------------------


@dataclass
class ServiceOutcome:
    position: int
    id: str | None
    name: str
    outcome: str
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self.outcome]


@dataclass
class ImportReport:
    source: str
    dry_run: bool
    services: list[ServiceOutcome] = field(default_factory=list)
    organisations: Counter[str] = field(default_factory=Counter)
    venues: Counter[str] = field(default_factory=Counter)
    sessions_added: int = 0
    sessions_cancelled: int = 0
    notes: list[str] = field(default_factory=list)
    #: Terms from other taxonomies no mapping understood, "taxonomy: term" -> services using it.
    unmapped_terms: Counter[str] = field(default_factory=Counter)
    #: Terms from other taxonomies that were read as Flourish categories or features.
    mapped_terms: Counter[str] = field(default_factory=Counter)
    #: Features read from listings' own words, feature -> services.
    features_from_words: Counter[str] = field(default_factory=Counter)
    failure: str | None = None
    saved: bool = False

    @property
    def counts(self) -> Counter[str]:
        return Counter(s.outcome for s in self.services)

    @property
    def with_notes(self) -> list[ServiceOutcome]:
        """The services someone should look at: skipped, or imported with a note."""
        return [s for s in self.services if s.outcome == SKIPPED or s.notes]

    def summary(self) -> str:
        counts = self.counts
        parts = [f"{counts[k]} {OUTCOME_LABELS[k].lower()}" for k in (ADDED, CHANGED, UNCHANGED, SKIPPED)]
        services = f"Services: {', '.join(parts)}."
        if self.failure:
            return f"The import failed and nothing was saved: {self.failure}"
        if self.dry_run:
            return f"Check only, nothing was saved. {services}"
        return f"Imported. {services}"


Progress = Callable[[int], None]


def _chunks(items: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Rows:
    """Queued rows per table and the audit trail, for the parts of an import that write."""

    db: Session
    actor: Actor
    now: datetime
    report: ImportReport
    _pending: dict[type, list[dict[str, Any]]]

    def _existing(self, model: type, ids: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            for row in self.db.scalars(sa.select(model).where(model.id.in_(chunk))):
                found[row.id] = row
        return found

    def _queue(self, model: type, row: dict[str, Any]) -> None:
        self._pending.setdefault(model, []).append(row)

    def _audit(
        self,
        action: str,
        entity: str,
        entity_id: str | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """The entry audit.record would write, queued to go in with this batch's multi-row
        inserts: one ORM object per entry is too slow for a feed of 100,000 services."""
        self._queue(
            AuditEntry,
            {
                "at": self.now,
                "user_id": self.actor.user_id,
                "user_email": self.actor.email,
                "role": self.actor.role,
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "before": audit.plain(before) if before is not None else None,
                "after": audit.plain(after) if after is not None else None,
                "request_id": self.actor.request_id,
                "detail": SOURCE,
            },
        )

    def _flush(self, model: type) -> None:
        self._insert(model, self._pending.pop(model, []))

    def _insert(self, model: type, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # New organisations and edited rows are ORM objects; the rows inserted here refer to them.
        self.db.flush()
        table = model.__table__  # type: ignore[attr-defined]
        for chunk in _chunks(rows, INSERT_CHUNK):
            self.db.execute(sa.insert(table), list(chunk))
