"""sign-in limits: tries at a password or code counted per account and per client address

Created 2026-12-07.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0007'
down_revision = '0006'


def upgrade() -> None:
    op.create_table('sign_in_limit',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('window_started_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_limit'))
    )


def downgrade() -> None:
    op.drop_table('sign_in_limit')
