"""Inbound messages stored before they are answered (answered_at, retries), the catalogue
version that lets each process keep its parser until the catalogue changes, and an index for
counting the replies of the last minute.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 12:14:00.444931
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    version = op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.bulk_insert(version, [{"id": 1, "version": 1}])
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answered_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("retries", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index(
            batch_op.f("ix_inbound_message_answered_at"), ["answered_at"], unique=False
        )
    op.create_index("ix_broadcast_kind_created", "broadcast", ["kind", "created_at"])
    # Every message stored before this revision was answered in the transaction that stored it.
    op.execute("UPDATE inbound_message SET answered_at = received_at")


def downgrade() -> None:
    op.drop_index("ix_broadcast_kind_created", table_name="broadcast")
    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_message_answered_at"))
        batch_op.drop_column("retries")
        batch_op.drop_column("answered_at")
    op.drop_table("catalogue_version")
