"""A market's board: the newest published price of every commodity, variety and price type
sold there, with the change since the one before, its day and source, and the old ones marked
as producers' answers mark them. Staff see their countries' markets; without a staff member
(the public board) every market is shown."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.prices.models import BoardRow, MarketBoard
from app.prices.reads import latest_series
from app.prices.stale import FRESH_DAYS, is_old


async def market_board(
    session: AsyncSession,
    *,
    staff: Staff | None,
    market: str,
    index: CatalogueIndex | None = None,
) -> MarketBoard:
    """A caller holding an index of the catalogue passes it."""
    index = index or await load_index(session)
    m = index.market(market)
    if staff is not None:
        staff.check_country(m.country_code, f"market {m.slug}")
    rows = [
        BoardRow(
            **dict(found),
            commodity=found.latest.commodity,
            old=is_old(found.latest.observed_on, m.timezone),
        )
        for found in await latest_series(session, index=index, market=m, commodity=None)
    ]
    rows.sort(key=lambda r: (r.commodity, r.variety or "", r.price_type, r.unit, r.currency))
    return MarketBoard(
        market=m.slug,
        country=m.country_code,
        today=clock.today(m.timezone),
        fresh_days=FRESH_DAYS,
        rows=rows,
    )
