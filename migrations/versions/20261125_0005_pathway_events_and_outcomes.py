"""pathway events and outcomes

Created 2026-11-25.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0005'
down_revision = '0003'


def upgrade() -> None:
    op.create_table('outcome_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('timepoint', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('life_satisfaction', sa.Integer(), nullable=True),
    sa.Column('worthwhile', sa.Integer(), nullable=True),
    sa.Column('happiness', sa.Integer(), nullable=True),
    sa.Column('anxiety', sa.Integer(), nullable=True),
    sa.Column('mhc_answers', sa.JSON(), nullable=False),
    sa.Column('mhc_emotional', sa.Integer(), nullable=True),
    sa.Column('mhc_social', sa.Integer(), nullable=True),
    sa.Column('mhc_psychological', sa.Integer(), nullable=True),
    sa.Column('mhc_category', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('service_outcomes', sa.JSON(), nullable=False),
    sa.Column('recorded_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_outcome_record_patient_id_patient')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_outcome_record_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_outcome_record_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_record')),
    sa.UniqueConstraint('referral_id', 'timepoint', name=op.f('uq_outcome_record_referral_id_timepoint'))
    )
    with op.batch_alter_table('outcome_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_record_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_record_referral_id'), ['referral_id'], unique=False)

    op.create_table('pathway_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('recorded_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_pathway_event_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_pathway_event_referral_id_referral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_event'))
    )
    with op.batch_alter_table('pathway_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_event_referral_id'), ['referral_id'], unique=False)

    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('demonstration', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('demonstration', sa.Boolean(), nullable=False, server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_column('demonstration')
        batch_op.drop_column('review_due_on')

    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('demonstration')

    with op.batch_alter_table('pathway_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_event_referral_id'))

    op.drop_table('pathway_event')
    with op.batch_alter_table('outcome_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_record_referral_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_record_patient_id'))

    op.drop_table('outcome_record')
