"""governance: two-step sign-in, and patient-identifying audit values kept apart for erasure

Created 2026-11-25.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0006'
down_revision = '0005'


def upgrade() -> None:
    op.create_table('audit_personal_value',
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('entity_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_audit_personal_value'))
    )
    with op.batch_alter_table('audit_personal_value', schema=None) as batch_op:
        batch_op.create_index('ix_audit_personal_value_entity', ['entity', 'entity_id'], unique=False)

    op.create_table('pending_sign_in',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_path', sqlmodel.sql.sqltypes.AutoString(length=500), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_pending_sign_in_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_sign_in'))
    )
    with op.batch_alter_table('pending_sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_sign_in_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_sign_in_user_id'), ['user_id'], unique=False)

    op.create_table('user_totp',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('pending_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('pending_since', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.Integer(), server_default='0', nullable=False),
    sa.Column('enabled_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_totp_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_totp'))
    )
    # A value the audit trail set aside may be erased, but never rewritten to say something else.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_personal_value_no_update BEFORE UPDATE ON audit_personal_value "
            "BEGIN SELECT RAISE(ABORT, 'audit values can be erased but not changed'); END"
        )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_personal_value_unchanged() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit values can be erased but not changed'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_personal_value_no_update BEFORE UPDATE ON audit_personal_value "
            "FOR EACH ROW EXECUTE FUNCTION audit_personal_value_unchanged()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_personal_value_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_personal_value_no_update ON audit_personal_value")
        op.execute("DROP FUNCTION IF EXISTS audit_personal_value_unchanged()")
    op.drop_table('user_totp')
    with op.batch_alter_table('pending_sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_sign_in_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_sign_in_expires_at'))

    op.drop_table('pending_sign_in')
    with op.batch_alter_table('audit_personal_value', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_personal_value_entity')

    op.drop_table('audit_personal_value')
