"""append-only tables refuse TRUNCATE on PostgreSQL, which row triggers do not see

Created 2026-12-07.
"""

from alembic import op

revision = '0008'
down_revision = '0007'

#: The tables whose rows are never changed or removed once written (see the row triggers of 0001
#: and 0003); SQLite has no TRUNCATE.
APPEND_ONLY = ("audit_entry", "ledger_entry", "drawdown_event")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION append_only_no_truncate() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: its rows cannot be emptied', TG_TABLE_NAME; END; "
        "$$ LANGUAGE plpgsql"
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION append_only_no_truncate()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS append_only_no_truncate()")
