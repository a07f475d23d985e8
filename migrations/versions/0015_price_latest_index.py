"""Published prices by market and series, newest last: the public board's country page finds
each series of a country's markets and its two newest prices along it, instead of sorting every
published price of the country (100 ms at 100 000 prices on SQLite).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 05:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "status",
    "market_id",
    "commodity_id",
    "variety_id",
    "price_type",
    "unit_id",
    "currency",
    "observed_on",
    "id",
]


def upgrade() -> None:
    with op.batch_alter_table("price_observation") as batch:
        batch.create_index("ix_price_latest", COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("price_observation") as batch:
        batch.drop_index("ix_price_latest")
