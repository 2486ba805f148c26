"""The access-control table: for every route, which personas may use it.

Each package lists its routes in tests/<package>/access_rules.py as `RULES`; the table-driven
test in tests/test_access_control.py runs every rule against every persona and fails if any
route of the app has no rule. A rule's path uses the route's own template; `params` fills the
placeholders from the personas fixture (for object-level rules, pick another organisation's id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PERSONAS = (
    "signed_out",
    "link_worker",
    "coordinator_a",
    "coordinator_b",
    "var_manager",
    "commissioner",
    "admin",
)
EVERYONE = frozenset(PERSONAS)
SIGNED_IN = EVERYONE - {"signed_out"}


def no_placeholders(personas: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    allowed: frozenset[str]
    params: Callable[[Any], dict[str, Any]] = no_placeholders
    #: Form or JSON body to send, so an allowed request reaches the handler's own checks.
    body: dict[str, Any] | None = None
    json: bool = False
    #: The route template this rule covers when `path` is a concrete object-level variant.
    route: str | None = None

    def url(self, personas: Any) -> str:
        return self.path.format(**self.params(personas))

    @property
    def template(self) -> str:
        return self.route or self.path


def allow(*names: str) -> frozenset[str]:
    unknown = set(names) - EVERYONE
    assert not unknown, f"unknown personas: {unknown}"
    return frozenset(names)


def ids(**placeholders: str) -> Callable[[Any], dict[str, Any]]:
    """A rule's `params` filling each placeholder with the id of one of the personas fixture's
    objects: `ids(venue_id="venue_a")` fills {venue_id} with `personas.venue_a.id`."""
    return lambda p: {name: getattr(p, attribute).id for name, attribute in placeholders.items()}


def form(
    path: str,
    allowed: frozenset[str],
    params: Callable[[Any], dict[str, Any]] = no_placeholders,
    body: dict[str, Any] | None = None,
) -> list[Rule]:
    """The two rules of a page with a form: showing it and sending it are open to the same people."""
    return [Rule("GET", path, allowed, params), Rule("POST", path, allowed, params, body)]


# Groups that routes of several packages are open to, administrators always among them.
LINK_WORKERS = allow("link_worker", "admin")
COORDINATOR_A = allow("coordinator_a", "admin")
COORDINATORS = allow("coordinator_a", "coordinator_b", "admin")
VAR_MANAGERS = allow("var_manager", "admin")
REPORTING = allow("var_manager", "commissioner", "admin")
