"""Due answers by themselves: the dispatcher claims replies before alerts on every claim, which
without this index reads every due delivery of a broadcast to find the few answers among them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.create_index(
            "ix_delivery_answers_due",
            ["status", "channel", "next_attempt_at"],
            unique=False,
            sqlite_where=sa.text("address_id IS NULL"),
            postgresql_where=sa.text("address_id IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index("ix_delivery_answers_due")
