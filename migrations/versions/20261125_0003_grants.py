"""grants

Created 2026-11-25.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import core.database

revision = '0003'
down_revision = '0002'


def upgrade() -> None:
    # Balances and planned outputs on the allocations that already exist: defaults fill old rows.
    with op.batch_alter_table('grant_allocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('planned_sessions', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('planned_places', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('planned_people', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('committed_pence', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('paid_pence', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_check_constraint(op.f('ck_grant_allocation_committed_not_negative'), 'committed_pence >= 0')
        batch_op.create_check_constraint(op.f('ck_grant_allocation_committed_within_amount'), 'committed_pence <= amount_pence')
        batch_op.create_check_constraint(op.f('ck_grant_allocation_paid_not_negative'), 'paid_pence >= 0')
        batch_op.create_check_constraint(op.f('ck_grant_allocation_paid_within_committed'), 'paid_pence <= committed_pence')
        batch_op.create_check_constraint(op.f('ck_grant_allocation_planned_not_negative'), 'planned_sessions >= 0 AND planned_places >= 0 AND planned_people >= 0')

    op.create_table('drawdown_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('approved_pence', sa.Integer(), nullable=True),
    sa.Column('clawed_back_pence', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('prefilled_sessions', sa.Integer(), nullable=False),
    sa.Column('prefilled_places', sa.Integer(), nullable=False),
    sa.Column('prefilled_booked', sa.Integer(), nullable=False),
    sa.Column('prefilled_attended', sa.Integer(), nullable=False),
    sa.Column('sessions_run', sa.Integer(), nullable=False),
    sa.Column('places_offered', sa.Integer(), nullable=False),
    sa.Column('referrals_booked', sa.Integer(), nullable=False),
    sa.Column('referrals_attended', sa.Integer(), nullable=False),
    sa.Column('evidence_note', sa.Text(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('payment_reference', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_by', sa.Integer(), nullable=True),
    sa.Column('paid_at', core.database.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'more_information_requested', 'approved', 'rejected', 'paid')", name=op.f('ck_drawdown_request_status_known')),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_drawdown_request_amount_positive')),
    sa.CheckConstraint('approved_pence IS NULL OR (approved_pence > 0 AND approved_pence <= amount_pence)', name=op.f('ck_drawdown_request_approved_within_requested')),
    sa.CheckConstraint('clawed_back_pence >= 0 AND clawed_back_pence <= COALESCE(approved_pence, 0)', name=op.f('ck_drawdown_request_clawback_within_approved')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_drawdown_request_period_ends_after_start')),
    sa.CheckConstraint('sessions_run >= 0 AND places_offered >= 0 AND referrals_booked >= 0 AND referrals_attended >= 0', name=op.f('ck_drawdown_request_evidence_not_negative')),
    sa.ForeignKeyConstraint(['allocation_id'], ['grant_allocation.id'], name=op.f('fk_drawdown_request_allocation_id_grant_allocation')),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_drawdown_request_created_by_app_user')),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], name=op.f('fk_drawdown_request_decided_by_app_user')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_drawdown_request_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['paid_by'], ['app_user.id'], name=op.f('fk_drawdown_request_paid_by_app_user')),
    sa.ForeignKeyConstraint(['submitted_by'], ['app_user.id'], name=op.f('fk_drawdown_request_submitted_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drawdown_request'))
    )
    with op.batch_alter_table('drawdown_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drawdown_request_allocation_id'), ['allocation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drawdown_request_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_drawdown_request_status'), ['status'], unique=False)

    op.create_table('grant_instalment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_pence > 0', name=op.f('ck_grant_instalment_amount_positive')),
    sa.ForeignKeyConstraint(['allocation_id'], ['grant_allocation.id'], name=op.f('fk_grant_instalment_allocation_id_grant_allocation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_instalment')),
    sa.UniqueConstraint('allocation_id', 'due_on', name=op.f('uq_grant_instalment_allocation_id_due_on'))
    )
    with op.batch_alter_table('grant_instalment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_instalment_allocation_id'), ['allocation_id'], unique=False)

    op.create_table('drawdown_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('from_status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('to_status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['app_user.id'], name=op.f('fk_drawdown_event_by_user_id_app_user')),
    sa.ForeignKeyConstraint(['request_id'], ['drawdown_request.id'], name=op.f('fk_drawdown_event_request_id_drawdown_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drawdown_event'))
    )
    with op.batch_alter_table('drawdown_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drawdown_event_request_id'), ['request_id'], unique=False)

    op.create_table('ledger_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('at', core.database.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('drawdown_request_id', sa.Integer(), nullable=True),
    sa.Column('reverses_entry_id', sa.Integer(), nullable=True),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('allocated_change_pence', sa.Integer(), nullable=False),
    sa.Column('committed_change_pence', sa.Integer(), nullable=False),
    sa.Column('paid_change_pence', sa.Integer(), nullable=False),
    sa.Column('allocated_after_pence', sa.Integer(), nullable=False),
    sa.Column('committed_after_pence', sa.Integer(), nullable=False),
    sa.Column('paid_after_pence', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_by_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('allocation', 'adjustment', 'approval', 'payment', 'clawback', 'reversal')", name=op.f('ck_ledger_entry_kind_known')),
    sa.CheckConstraint('allocated_after_pence >= 0', name=op.f('ck_ledger_entry_allocated_not_negative')),
    sa.CheckConstraint('committed_after_pence >= 0 AND committed_after_pence <= allocated_after_pence', name=op.f('ck_ledger_entry_committed_within_allocated')),
    sa.CheckConstraint('paid_after_pence >= 0 AND paid_after_pence <= committed_after_pence', name=op.f('ck_ledger_entry_paid_within_committed')),
    sa.ForeignKeyConstraint(['allocation_id'], ['grant_allocation.id'], name=op.f('fk_ledger_entry_allocation_id_grant_allocation')),
    sa.ForeignKeyConstraint(['drawdown_request_id'], ['drawdown_request.id'], name=op.f('fk_ledger_entry_drawdown_request_id_drawdown_request')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_ledger_entry_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['recorded_by'], ['app_user.id'], name=op.f('fk_ledger_entry_recorded_by_app_user')),
    sa.ForeignKeyConstraint(['reverses_entry_id'], ['ledger_entry.id'], name=op.f('fk_ledger_entry_reverses_entry_id_ledger_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entry')),
    sa.UniqueConstraint('reverses_entry_id', name=op.f('uq_ledger_entry_reverses_entry_id'))
    )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entry_allocation_id'), ['allocation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_drawdown_request_id'), ['drawdown_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entry_organisation_id'), ['organisation_id'], unique=False)

    # Allocations made before the ledger existed get their opening entry, so the ledger adds up.
    op.execute(
        "INSERT INTO ledger_entry (allocation_id, organisation_id, at, kind, description, amount_pence, "
        "allocated_change_pence, committed_change_pence, paid_change_pence, allocated_after_pence, "
        "committed_after_pence, paid_after_pence, recorded_by_name) "
        "SELECT id, organisation_id, created_at, 'allocation', "
        "'Allocation for the year starting April ' || financial_year || ' (recorded when the ledger began)', "
        "amount_pence, amount_pence, 0, 0, amount_pence, 0, 0, 'Flourish' FROM grant_allocation"
    )
    # The ledger and request history are append-only, and a paid request's money and period are
    # fixed, in the database itself, whatever the application does.
    if op.get_bind().dialect.name == "sqlite":
        for table in ("ledger_entry", "drawdown_event"):
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'grant ledger and history rows are append-only; record a reversal'); END"
                )
        op.execute(
            "CREATE TRIGGER drawdown_request_paid_fixed BEFORE UPDATE ON drawdown_request "
            "WHEN OLD.status = 'paid' AND ("
            "NEW.amount_pence IS NOT OLD.amount_pence OR NEW.approved_pence IS NOT OLD.approved_pence "
            "OR NEW.allocation_id IS NOT OLD.allocation_id OR NEW.organisation_id IS NOT OLD.organisation_id "
            "OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end "
            "OR (NEW.status <> 'approved' AND (NEW.payment_reference IS NOT OLD.payment_reference "
            "OR NEW.paid_on IS NOT OLD.paid_on))) "
            "BEGIN SELECT RAISE(ABORT, 'a paid drawdown request cannot be changed; record a reversal'); END"
        )
        op.execute(
            "CREATE TRIGGER drawdown_request_no_delete BEFORE DELETE ON drawdown_request "
            "WHEN OLD.status <> 'draft' "
            "BEGIN SELECT RAISE(ABORT, 'only draft drawdown requests can be deleted'); END"
        )
    else:
        op.execute(
            "CREATE OR REPLACE FUNCTION grants_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'grant ledger and history rows are append-only; record a reversal'; END; "
            "$$ LANGUAGE plpgsql"
        )
        for table in ("ledger_entry", "drawdown_event"):
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION grants_append_only()"
            )
        op.execute(
            "CREATE OR REPLACE FUNCTION drawdown_request_paid_fixed() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' THEN "
            "  IF OLD.status <> 'draft' THEN RAISE EXCEPTION 'only draft drawdown requests can be deleted'; END IF; "
            "  RETURN OLD; "
            "END IF; "
            "IF OLD.status = 'paid' AND ("
            "  NEW.amount_pence IS DISTINCT FROM OLD.amount_pence "
            "  OR NEW.approved_pence IS DISTINCT FROM OLD.approved_pence "
            "  OR NEW.allocation_id IS DISTINCT FROM OLD.allocation_id "
            "  OR NEW.organisation_id IS DISTINCT FROM OLD.organisation_id "
            "  OR NEW.period_start IS DISTINCT FROM OLD.period_start "
            "  OR NEW.period_end IS DISTINCT FROM OLD.period_end "
            "  OR (NEW.status <> 'approved' AND (NEW.payment_reference IS DISTINCT FROM OLD.payment_reference "
            "      OR NEW.paid_on IS DISTINCT FROM OLD.paid_on))) THEN "
            "  RAISE EXCEPTION 'a paid drawdown request cannot be changed; record a reversal'; "
            "END IF; "
            "RETURN NEW; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER drawdown_request_paid_fixed BEFORE UPDATE OR DELETE ON drawdown_request "
            "FOR EACH ROW EXECUTE FUNCTION drawdown_request_paid_fixed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("ledger_entry_no_update", "ledger_entry_no_delete", "drawdown_event_no_update",
                     "drawdown_event_no_delete", "drawdown_request_paid_fixed", "drawdown_request_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entry_no_change ON ledger_entry")
        op.execute("DROP TRIGGER IF EXISTS drawdown_event_no_change ON drawdown_event")
        op.execute("DROP TRIGGER IF EXISTS drawdown_request_paid_fixed ON drawdown_request")
        op.execute("DROP FUNCTION IF EXISTS grants_append_only()")
        op.execute("DROP FUNCTION IF EXISTS drawdown_request_paid_fixed()")
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entry_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_drawdown_request_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_at'))
        batch_op.drop_index(batch_op.f('ix_ledger_entry_allocation_id'))

    op.drop_table('ledger_entry')
    with op.batch_alter_table('drawdown_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drawdown_event_request_id'))

    op.drop_table('drawdown_event')
    with op.batch_alter_table('grant_instalment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_instalment_allocation_id'))

    op.drop_table('grant_instalment')
    with op.batch_alter_table('drawdown_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drawdown_request_status'))
        batch_op.drop_index(batch_op.f('ix_drawdown_request_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_drawdown_request_allocation_id'))

    op.drop_table('drawdown_request')
    with op.batch_alter_table('grant_allocation', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_grant_allocation_planned_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_grant_allocation_paid_within_committed'), type_='check')
        batch_op.drop_constraint(op.f('ck_grant_allocation_paid_not_negative'), type_='check')
        batch_op.drop_constraint(op.f('ck_grant_allocation_committed_within_amount'), type_='check')
        batch_op.drop_constraint(op.f('ck_grant_allocation_committed_not_negative'), type_='check')
        batch_op.drop_column('version')
        batch_op.drop_column('paid_pence')
        batch_op.drop_column('committed_pence')
        batch_op.drop_column('planned_people')
        batch_op.drop_column('planned_places')
        batch_op.drop_column('planned_sessions')
        batch_op.drop_column('conditions')

