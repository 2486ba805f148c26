"""journeys: how to contact a person, with their consent and preferred way, each email sent to
them about a booking, and whether a weekly session meets on Christmas Day and New Year's Day

Created 2026-12-07.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0010'
down_revision = '0009'


def upgrade() -> None:
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('runs_on_holidays', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('contact_consent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('preferred_contact', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default=''))
    op.create_table('message_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sent_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_message_sent_booking_id_booking')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_message_sent_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_sent')),
    sa.UniqueConstraint('booking_id', 'kind', name=op.f('uq_message_sent_booking_id_kind'))
    )
    with op.batch_alter_table('message_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_sent_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_sent_patient_id'), ['patient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('message_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_sent_patient_id'))
        batch_op.drop_index(batch_op.f('ix_message_sent_booking_id'))
    op.drop_table('message_sent')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_column('preferred_contact')
        batch_op.drop_column('email')
        batch_op.drop_column('contact_consent')
        batch_op.drop_column('phone')
    with op.batch_alter_table('schedule', schema=None) as batch_op:
        batch_op.drop_column('runs_on_holidays')
