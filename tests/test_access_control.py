"""Every route against every persona: who gets in, who is refused, and that refusals are logged."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
import sqlalchemy as sa

import tests
from core.audit import AuditEntry
from tests.access import PERSONAS, Rule
from tests.conftest import _shared_database

#: Routes that are not part of the product's own surface.
UNGUARDED_INFRASTRUCTURE = {"/static", "/api/v1/schema", "/api/v1/schema/openapi.json"}


def all_rules() -> list[Rule]:
    rules: list[Rule] = []
    for module in pkgutil.iter_modules(tests.__path__):
        if not module.ispkg:
            continue
        try:
            rules_module = importlib.import_module(f"tests.{module.name}.access_rules")
        except ModuleNotFoundError:
            continue
        rules.extend(rules_module.RULES)
    return rules


RULES = all_rules()


@pytest.fixture
def database(request):
    """Who may use a route does not depend on the database, so the table runs on SQLite alone
    (about 1,100 cases); the PostgreSQL run covers every other test."""
    return _shared_database("sqlite", request)


def _normalise(path: str) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path)


def test_every_route_has_an_access_rule(app):
    covered = {(rule.method, _normalise(rule.template)) for rule in RULES}
    missing = []
    for route in app.routes:
        path = _normalise(route.path)
        if any(path == p or path.startswith(p + "/") for p in UNGUARDED_INFRASTRUCTURE):
            continue
        for method in getattr(route, "methods", set()) - {"HEAD", "OPTIONS"}:
            if (method, path) not in covered:
                missing.append(f"{method} {path}")
    assert missing == [], "routes without a rule in tests/<package>/access_rules.py"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.method} {r.path}")
def test_route_admits_only_the_roles_it_should(client, personas, database, rule: Rule, persona: str):
    if persona != "signed_out":
        client.sign_in_as(personas.by_name(persona))
    url = rule.url(personas)
    if rule.method == "GET":
        response = client.get(url, follow_redirects=False)
    elif rule.json:
        response = client.json(rule.method, url, rule.body or {}, follow_redirects=False)
    else:
        response = client.client.request(
            rule.method,
            url,
            data={"csrf_token": client.csrf_token(), **(rule.body or {})},
            follow_redirects=False,
        )

    refused_signed_out = response.status_code == 401 or (
        response.status_code in (302, 303) and response.headers["location"].startswith("/sign-in")
    )
    if persona in rule.allowed:
        assert response.status_code != 403, f"{persona} was refused {rule.method} {url}"
        assert not refused_signed_out, f"{persona} was sent to sign in for {rule.method} {url}"
        assert response.status_code < 500
    elif persona == "signed_out":
        assert refused_signed_out, f"signed-out visitor got {response.status_code} for {rule.method} {url}"
    else:
        assert response.status_code == 403, f"{persona} got {response.status_code} for {rule.method} {url}"
        with database.reader() as db:
            refusals = db.scalars(
                sa.select(AuditEntry).where(
                    AuditEntry.action == "access.denied", AuditEntry.user_id == personas.by_name(persona).id
                )
            ).all()
        assert refusals, "a refused request must be written to the audit log"
