"""The catalogue version: bumped in the transaction of any change to catalogue entries or
their names, read by the caches that hold a parser or an index built from them."""

from __future__ import annotations

from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.models import Alias, CatalogueVersion, Commodity, Country, Market, Unit, Variety
from app.core.db import core_table, run_core

CATALOGUE_MODELS = (Country, Market, Commodity, Variety, Unit, Alias)
_VERSION = core_table(CatalogueVersion)
# Read for every message: built once, as building a statement costs more than running this one.
_READ = sa.select(_VERSION.c.version).where(_VERSION.c.id == 1)


@event.listens_for(Session, "after_flush")
def _bump_on_catalogue_change(session: Session, _context: Any) -> None:
    """Every catalogue write goes through the ORM (the seed, sources adding markets and units,
    a CDE mapping a name), so one hook sees them all; the new, dirty and deleted lists still
    show what this flush wrote."""
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(entry, CATALOGUE_MODELS) for entry in changed):
        connection = session.connection()
        bumped = connection.execute(
            sa.update(_VERSION).values(version=_VERSION.c.version + 1).where(_VERSION.c.id == 1)
        )
        if bumped.rowcount == 0:  # the row was lost (tables emptied by hand): caches read 0
            connection.execute(sa.insert(_VERSION).values(id=1, version=1))


async def catalogue_version(session: AsyncSession) -> int:
    """The current version; one indexed read, cheap enough for every message."""
    found = (await run_core(session, _READ)).scalar_one_or_none()
    return int(found or 0)
