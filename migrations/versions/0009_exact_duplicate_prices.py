"""An exact duplicate of an unkeyed price observation is refused by the database too.

Existing exact duplicates are kept (nothing is deleted) but set apart from the new unique index
by an external key naming the price they repeat, `duplicate-of:<id>:<own id>`, so a CDE can
find them (`GET /prices` shows both) and reject the extra ones.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:20:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = (
    "commodity_id",
    "variety_id",
    "market_id",
    "unit_id",
    "currency",
    "price_type",
    "observed_on",
    "price",
    "source",
    "created_by",
)


def _set_apart_existing_duplicates() -> None:
    price = sa.table(
        "price_observation", sa.column("id"), sa.column("external_key"), *map(sa.column, _KEY)
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(price).where(price.c.external_key.is_(None)).order_by(price.c.id)
    ).mappings()
    first: dict[tuple[object, ...], int] = {}
    for row in rows.all():
        key = tuple(Decimal(str(row[c])) if c == "price" else row[c] for c in _KEY)
        if key not in first:
            first[key] = row["id"]
            continue
        conn.execute(
            price.update()
            .where(price.c.id == row["id"])
            .values(external_key=f"duplicate-of:{first[key]}:{row['id']}")
        )


def upgrade() -> None:
    _set_apart_existing_duplicates()
    op.create_index(
        "uq_price_observation_exact",
        "price_observation",
        # NULL varieties must collide too: coalesce them into one value.
        [sa.text("coalesce(variety_id, 0)") if c == "variety_id" else c for c in _KEY],
        unique=True,
        sqlite_where=sa.text("external_key IS NULL"),
        postgresql_where=sa.text("external_key IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_price_observation_exact", table_name="price_observation")
