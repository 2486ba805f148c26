"""Two PostgreSQL roles: the owner, which `flourish migrate` connects as and which alone may change
the schema, and the runtime role the app connects as, which owns nothing. A role that does not own
a table cannot drop it, alter it or disable its triggers; on the append-only tables the runtime
role may only read and add rows, so neither TRUNCATE nor DELETE is open to it whatever the app
does (the owner is held back by the tables' triggers)."""

from __future__ import annotations

import re

import sqlalchemy as sa

#: Rows written once and never changed or removed: the audit trail and the grants ledger.
APPEND_ONLY = ("audit_entry", "ledger_entry", "drawdown_event")


def grant_runtime_role(engine: sa.Engine, role: str) -> None:
    """Give `role` what the running app needs on every table, and no more."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
        raise ValueError(f"“{role}” is not a plain PostgreSQL role name (lower-case letters, digits, _)")
    with engine.begin() as conn:
        tables = sa.inspect(conn).get_table_names()
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {role}"))
        conn.execute(sa.text(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        for table in tables:
            conn.execute(sa.text(f'REVOKE ALL ON "{table}" FROM {role}'))
            allowed = "SELECT, INSERT" if table in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
            conn.execute(sa.text(f'GRANT {allowed} ON "{table}" TO {role}'))
