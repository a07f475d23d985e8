"""SQLite tables numbered by the database get AUTOINCREMENT, so that the id of a deleted row
(an erased producer) is never given to a new one: the audit log refers to rows by id.

PostgreSQL's sequences never reuse an id; there is nothing to do there.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose integer id the database assigns, as of this revision (referenced tables
# first is not needed: batch mode copies each table with foreign keys off).
TABLES = (
    "address",
    "alias",
    "api_token",
    "audit_log",
    "broadcast",
    "broadcast_text",
    "buyer_lead",
    "commodity",
    "delivery",
    "fx_rate",
    "inbound_message",
    "job_run",
    "market",
    "notice",
    "price_observation",
    "producer",
    "series_watch",
    "source",
    "staff_user",
    "staged_row",
    "subscription",
    "unit",
    "unmapped_name",
    "variety",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        # SQLite cannot add AUTOINCREMENT to a table: batch mode copies it into a new one.
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
