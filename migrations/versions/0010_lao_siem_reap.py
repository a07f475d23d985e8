"""The Lao name of Siem Reap is ສຽມລາບ: the demo catalogue had written it ເສຍມລາບ.

A database loaded from the demo catalogue keeps its names when the catalogue is loaded again
(names a CDE corrected must stay), so the display name is corrected here, and only where it is
still the demo's old spelling; that spelling stays as an alias, since people type it too.
The catalogue version moves, so running processes rebuild their parser.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = "ເສຍມລາບ", "ສຽມລາບ"  # Lao has no case or Latin accents: the folded form is the text

_market = sa.table("market", sa.column("id"), sa.column("slug"))
_alias = sa.table(
    "alias",
    sa.column("id"),
    sa.column("locale"),
    sa.column("text"),
    sa.column("normalized"),
    sa.column("is_display"),
    sa.column("market_id"),
)
_version = sa.table("catalogue_version", sa.column("id"), sa.column("version"))


def upgrade() -> None:
    bind = op.get_bind()
    market_id = bind.execute(
        sa.select(_market.c.id).where(_market.c.slug == "siem-reap")
    ).scalar_one_or_none()
    if market_id is None:
        return
    lao = sa.and_(_alias.c.market_id == market_id, _alias.c.locale == "lo")
    old_display = bind.execute(
        sa.select(_alias.c.id).where(lao, _alias.c.is_display, _alias.c.text == OLD)
    ).scalar_one_or_none()
    if old_display is None:  # not the demo's spelling: a CDE's name, kept
        return
    new_alias = bind.execute(
        sa.select(_alias.c.id).where(lao, _alias.c.normalized == NEW)
    ).scalar_one_or_none()
    if new_alias is None:
        bind.execute(
            sa.update(_alias).where(_alias.c.id == old_display).values(text=NEW, normalized=NEW)
        )
        bind.execute(
            sa.insert(_alias).values(
                locale="lo", text=OLD, normalized=OLD, is_display=False, market_id=market_id
            )
        )
    else:  # the new spelling was loaded as an alias: it becomes the display name
        bind.execute(sa.update(_alias).where(_alias.c.id == old_display).values(is_display=False))
        bind.execute(sa.update(_alias).where(_alias.c.id == new_alias).values(is_display=True))
    bind.execute(sa.update(_version).values(version=_version.c.version + 1))


def downgrade() -> None:
    """The spelling fix is kept: the old spelling is still an alias, and writing a wrong name
    back would undo a correction rather than a schema change."""
