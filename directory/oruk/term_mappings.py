"""Administrators' mappings of other taxonomies' terms: the terms imports could not read, and
what an administrator says they mean. Services only flush; the caller commits."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from core import audit, clock
from core.audit import Actor
from core.errors import InvalidInput
from directory.models import TermMapping
from directory.oruk.terms import NONE, normalise, valid_target


def terms_seen(db: Session, *, unmapped_only: bool = False) -> list[TermMapping]:
    """Terms imports have met, the most often seen first."""
    rows = db.exec(sa.select(TermMapping).order_by(TermMapping.times_seen.desc(), TermMapping.term)).scalars()
    return [r for r in rows if not (unmapped_only and r.targets)]


def map_term(db: Session, actor: Actor, taxonomy: str, term: str, targets: Sequence[str]) -> TermMapping:
    """Say what a term means: category:<slug>, feature:<code>, or none. Used by the next import."""
    targets = [t.strip() for t in targets if t.strip()]
    wrong = [t for t in targets if not valid_target(t)]
    if not targets or wrong:
        raise InvalidInput(
            {
                "targets": "Give one or more of category:<kind>, feature:<feature> or none"
                + (f"; not understood: {', '.join(wrong)}" if wrong else "")
            }
        )
    if NONE in targets and len(targets) > 1:
        raise InvalidInput({"targets": "'none' cannot be combined with other targets"})
    key = (normalise(taxonomy)[:200], normalise(term)[:200])
    if not key[1]:
        raise InvalidInput({"term": "Give the term's name as the feed writes it"})
    row = db.exec(
        sa.select(TermMapping).where(TermMapping.taxonomy == key[0], TermMapping.term == key[1])
    ).scalar_one_or_none()
    before = list(row.targets) if row else None
    if row is None:
        row = TermMapping(taxonomy=key[0], term=key[1], targets=[], updated_at=clock.now())
    row.targets = list(targets)
    row.mapped_by = (actor.email or "")[:200]
    row.updated_at = clock.now()
    db.add(row)
    db.flush()
    audit.record(
        db,
        actor,
        "oruk.term_mapped",
        "term_mapping",
        str(row.id),
        before={"targets": before} if before is not None else None,
        after={"taxonomy": key[0], "term": key[1], "targets": list(targets)},
    )
    return row
