"""patients, referrals, bookings and notifications

Created 2026-11-25.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0002'
down_revision = '0001'


def upgrade() -> None:
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_notification_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_user_id'), ['user_id'], unique=False)

    op.create_table('patient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('first_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('last_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('nhs_number', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('gender', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('area', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('cmht_team', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('link_worker_id', sa.Integer(), nullable=True),
    sa.Column('consent_to_share', sa.Boolean(), nullable=False),
    sa.Column('consent_recorded_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('support_needs', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('erased_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['link_worker_id'], ['app_user.id'], name=op.f('fk_patient_link_worker_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient'))
    )
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_link_worker_id'), ['link_worker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_nhs_number'), ['nhs_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_patient_reference'), ['reference'], unique=True)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('link_worker_id', sa.Integer(), nullable=True),
    sa.Column('cmht_team', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('care_coordinator', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('hopes', sa.Text(), nullable=False),
    sa.Column('chosen_activity_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('options_discussed', sa.JSON(), nullable=False),
    sa.Column('options_declined', sa.JSON(), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['chosen_activity_id'], ['activity.id'], name=op.f('fk_referral_chosen_activity_id_activity')),
    sa.ForeignKeyConstraint(['link_worker_id'], ['app_user.id'], name=op.f('fk_referral_link_worker_id_app_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_referral_patient_id_patient')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_link_worker_id'), ['link_worker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_received_on'), ['received_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_status'), ['status'], unique=False)

    op.create_table('booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('booked_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('booked_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attendance', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('attendance_recorded_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attendance_recorded_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attendance_recorded_by'], ['app_user.id'], name=op.f('fk_booking_attendance_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['booked_by'], ['app_user.id'], name=op.f('fk_booking_booked_by_app_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_booking_patient_id_patient')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_booking_referral_id_referral')),
    sa.ForeignKeyConstraint(['session_id'], ['activity_session.id'], name=op.f('fk_booking_session_id_activity_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking')),
    sa.UniqueConstraint('session_id', 'patient_id', name=op.f('uq_booking_session_id_patient_id'))
    )
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_referral_id'), ['referral_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_session_id'), ['session_id'], unique=False)

    op.create_table('waiting_list_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=True),
    sa.Column('link_worker_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('notified_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['link_worker_id'], ['app_user.id'], name=op.f('fk_waiting_list_entry_link_worker_id_app_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_waiting_list_entry_patient_id_patient')),
    sa.ForeignKeyConstraint(['referral_id'], ['referral.id'], name=op.f('fk_waiting_list_entry_referral_id_referral')),
    sa.ForeignKeyConstraint(['session_id'], ['activity_session.id'], name=op.f('fk_waiting_list_entry_session_id_activity_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waiting_list_entry')),
    sa.UniqueConstraint('session_id', 'patient_id', name=op.f('uq_waiting_list_entry_session_id_patient_id'))
    )
    with op.batch_alter_table('waiting_list_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waiting_list_entry_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waiting_list_entry_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('waiting_list_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waiting_list_entry_session_id'))
        batch_op.drop_index(batch_op.f('ix_waiting_list_entry_patient_id'))

    op.drop_table('waiting_list_entry')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_session_id'))
        batch_op.drop_index(batch_op.f('ix_booking_referral_id'))
        batch_op.drop_index(batch_op.f('ix_booking_patient_id'))

    op.drop_table('booking')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_status'))
        batch_op.drop_index(batch_op.f('ix_referral_received_on'))
        batch_op.drop_index(batch_op.f('ix_referral_patient_id'))
        batch_op.drop_index(batch_op.f('ix_referral_link_worker_id'))

    op.drop_table('referral')
    with op.batch_alter_table('patient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_reference'))
        batch_op.drop_index(batch_op.f('ix_patient_nhs_number'))
        batch_op.drop_index(batch_op.f('ix_patient_link_worker_id'))

    op.drop_table('patient')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_user_id'))

    op.drop_table('notification')
