"""The Flourish taxonomy published with the feed: kinds of activity, the things that help people
who feel anxious about going somewhere new, and how an activity runs.

Every id is a uuid5 of a fixed namespace, so the taxonomy and its terms keep the same ids in every
Flourish installation and across releases; a feed consumer can rely on them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from directory.categories import CATEGORIES
from directory.records import FEATURES

#: Never change this: every published taxonomy, term and derived sub-entity id hangs off it.
NAMESPACE = uuid.UUID("ef7dadb2-9c90-4f46-9a9c-4f585380f1f4")

TAXONOMY_NAME = "Flourish activities"
TAXONOMY_VERSION = "1"
TAXONOMY_DESCRIPTION = (
    "How the Rotherham social prescribing service describes community activities: the kind of "
    "activity, what helps someone who feels anxious about going somewhere new, and how it runs."
)

#: How an activity runs, beyond its kind and the features people ask for.
ABOUT: dict[str, str] = {
    "peer_led": "Peer-led (run by people with lived experience)",
    "continuation": "People can keep coming after their referral ends",
    "volunteering": "Offers volunteering",
}

#: The three groups, in the order they are published.
GROUPS: dict[str, tuple[str, str, dict[str, str]]] = {
    "category": ("Kind of activity", "What the activity is about.", CATEGORIES),
    "feature": (
        "What helps with nerves",
        "Things that make a first visit easier for someone who feels anxious.",
        FEATURES,
    ),
    "about": ("How it runs", "Who runs the activity and what it leads on to.", ABOUT),
}


def derived_id(*parts: str) -> str:
    """A stable id from the namespace and the given parts (a parent id and a role, for example)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(parts)))


TAXONOMY_ID = derived_id("taxonomy", "flourish")


@dataclass(frozen=True)
class Term:
    id: str
    group: str  # category, feature or about; "" for the group terms themselves
    code: str  # the Flourish key, e.g. "quiet_space" or "arts-crafts"
    name: str
    description: str
    parent_id: str | None


def _build() -> list[Term]:
    terms = []
    for group, (name, description, members) in GROUPS.items():
        parent = Term(derived_id("term", "group", group), "", group, name, description, None)
        terms.append(parent)
        for code, label in members.items():
            terms.append(Term(derived_id("term", group, code), group, code, label, label, parent.id))
    return terms


TERMS: tuple[Term, ...] = tuple(_build())
TERMS_BY_ID: dict[str, Term] = {t.id: t for t in TERMS}
_BY_CODE: dict[tuple[str, str], Term] = {(t.group, t.code): t for t in TERMS if t.group}


def term(group: str, code: str) -> Term:
    return _BY_CODE[(group, code)]


def find_term(term_id: str | None, code: str | None = None, taxonomy: str | None = None) -> Term | None:
    """A Flourish term from a received attribute: by id, or by code when the attribute names the
    Flourish taxonomy (feeds that re-mint ids but keep our codes)."""
    if term_id and term_id.lower() in TERMS_BY_ID:
        found = TERMS_BY_ID[term_id.lower()]
        return found if found.group else None
    if code and taxonomy and taxonomy.strip().lower() == TAXONOMY_NAME.lower():
        for group in GROUPS:
            if (group, code) in _BY_CODE:
                return _BY_CODE[(group, code)]
    return None


def term_dict(t: Term) -> dict[str, object]:
    out: dict[str, object] = {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
        "term": t.code,
    }
    if t.parent_id:
        out["parent_id"] = t.parent_id
    return out


def taxonomy_dict(*, with_terms: bool = False) -> dict[str, object]:
    out: dict[str, object] = {
        "id": TAXONOMY_ID,
        "name": TAXONOMY_NAME,
        "description": TAXONOMY_DESCRIPTION,
        "version": TAXONOMY_VERSION,
    }
    if with_terms:
        out["taxonomy_terms"] = [term_dict(t) for t in TERMS]
    return out
