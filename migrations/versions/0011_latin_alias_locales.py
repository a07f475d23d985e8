"""Catalogue names in Latin letters: alias.locale holds the romanised locales (km_Latn, seven
characters) beside the six languages.

Producers who choose the Latin script keep `script` = `latin` in the existing VARCHAR column,
which needs no change.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alias") as batch:
        batch.alter_column("locale", existing_type=sa.String(length=5), type_=sa.String(length=8))


def downgrade() -> None:
    # Names in Latin letters cannot be kept in the narrower column.
    op.execute(sa.text("DELETE FROM alias WHERE locale LIKE '%\\_Latn' ESCAPE '\\'"))
    with op.batch_alter_table("alias") as batch:
        batch.alter_column("locale", existing_type=sa.String(length=8), type_=sa.String(length=5))
