"""Grant tables: what each organisation is allocated for a financial year."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from flourish.database import utc_column


class GrantAllocation(SQLModel, table=True):
    __tablename__ = "grant_allocation"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "financial_year"),
        sa.CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: str = Field(foreign_key="organisation.id", index=True, max_length=36)
    #: The year the financial year starts: 2026 is 1 April 2026 to 31 March 2027.
    financial_year: int
    amount_pence: int
    purpose: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=utc_column())
