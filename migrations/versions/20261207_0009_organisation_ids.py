"""organisation identifiers: each organisation's org-id (GB-CHC-..., GB-COH-...) and any others,
in place of the bare charity or company number

Created 2026-12-07.
"""

import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'


def _org_id(number: str | None) -> str | None:
    """The identifier a stored number stands for, by its shape; None when the shape names no
    register (the older form accepted 5-digit numbers, which no register now issues)."""
    n = re.sub(r"\s+", "", number or "").upper()
    n = re.sub(r"^(\d{6,7})-\d{1,2}$", r"\1", n)  # a linked charity: its main charity's number
    if not n:
        return None
    if re.fullmatch(r"\d{6,7}", n):
        return f"GB-CHC-{n}"
    if re.fullmatch(r"SC\d{6}", n):
        return f"GB-SC-{n}"
    if re.fullmatch(r"NIC\d{6}", n):
        return f"GB-NIC-{n[3:]}"
    if re.fullmatch(r"\d{8}|[A-Z]{2}\d{6}", n):
        return f"GB-COH-{n}"
    return None


def upgrade() -> None:
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True))
        batch_op.add_column(sa.Column('other_org_ids', sa.JSON(), nullable=False, server_default='[]'))
    organisation = sa.table('organisation', sa.column('id'), sa.column('charity_number'), sa.column('org_id'))
    connection = op.get_bind()
    taken: set[str] = set()
    for row in connection.execute(sa.select(organisation.c.id, organisation.c.charity_number)).all():
        org_id = _org_id(row.charity_number)
        if org_id is None or org_id in taken:
            continue
        taken.add(org_id)
        connection.execute(organisation.update().where(organisation.c.id == row.id).values(org_id=org_id))
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_org_id'), ['org_id'])
        batch_op.drop_column('charity_number')


def downgrade() -> None:
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.add_column(sa.Column('charity_number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    organisation = sa.table('organisation', sa.column('id'), sa.column('charity_number'), sa.column('org_id'))
    connection = op.get_bind()
    for row in connection.execute(sa.select(organisation.c.id, organisation.c.org_id)).all():
        if row.org_id:
            number = row.org_id.split('-', 2)[-1][:20]
            connection.execute(organisation.update().where(organisation.c.id == row.id).values(charity_number=number))
    with op.batch_alter_table('organisation') as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_org_id'), type_='unique')
        batch_op.drop_column('other_org_ids')
        batch_op.drop_column('org_id')
