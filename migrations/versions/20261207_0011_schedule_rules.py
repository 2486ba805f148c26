"""schedule rules and foreign taxonomies: fortnightly and monthly schedules, where imported
features came from, and terms mapped by an administrator

Created 2026-12-07.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0011'
down_revision = '0010'


def upgrade() -> None:
    with op.batch_alter_table('schedule') as batch:
        batch.add_column(sa.Column('every_weeks', sa.Integer(), nullable=False, server_default='1'))
        batch.add_column(sa.Column('monthly', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=''))
    with op.batch_alter_table('activity') as batch:
        batch.add_column(sa.Column('feature_sources', sa.JSON(), nullable=False, server_default='{}'))
    op.create_table('term_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taxonomy', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('term', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('times_seen', sa.Integer(), nullable=False),
    sa.Column('mapped_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_term_mapping')),
    sa.UniqueConstraint('taxonomy', 'term', name=op.f('uq_term_mapping_taxonomy_term'))
    )


def downgrade() -> None:
    op.drop_table('term_mapping')
    with op.batch_alter_table('activity') as batch:
        batch.drop_column('feature_sources')
    with op.batch_alter_table('schedule') as batch:
        batch.drop_column('monthly')
        batch.drop_column('every_weeks')
