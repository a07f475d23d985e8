"""Deliveries by the time they were created: the Today summary counts the last 24 hours of the
outbox, which without this index reads the whole table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 21:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.create_index("ix_delivery_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index("ix_delivery_created")
