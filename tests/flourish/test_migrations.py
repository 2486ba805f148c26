"""Schema changes go through Alembic: an empty database upgraded to head matches the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel


def test_it_migrates_an_empty_database_to_exactly_the_models(database):
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_it_creates_every_table_the_models_declare(database):
    tables = set(sa.inspect(database.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_the_audit_log_refuses_updates_and_deletes_at_the_database_level(database):
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO audit_entry (at, action, entity) VALUES (CURRENT_TIMESTAMP, 'test.made', 'test')"
            )
        )
    for statement in ("UPDATE audit_entry SET action = 'changed'", "DELETE FROM audit_entry"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), database.engine.begin() as connection:
            connection.execute(sa.text(statement))
    with database.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT action FROM audit_entry")).scalars().all() == ["test.made"]
