"""${message}

Created ${create_date.strftime("%Y-%m-%d")}.
"""

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate refers to sqlmodel column types)
from alembic import op
${imports if imports else ""}
import core.database  # noqa: F401  (custom column types)

revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}


def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
