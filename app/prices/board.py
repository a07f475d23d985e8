"""A market's board: the newest published price of every commodity, variety and price type
sold there, with the change since the one before, its day and source, and the old ones marked
as producers' answers mark them. Staff see their countries' markets; without a staff member
(the public board) every market is shown. A country's board is the boards of all its markets,
read at once."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts.service import Staff
from app.catalogue.models import Market
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.prices.models import BoardRow, LatestPrice, MarketBoard
from app.prices.reads import latest_series
from app.prices.stale import FRESH_DAYS, is_old


def _board(market: Market, found: list[LatestPrice]) -> MarketBoard:
    rows = [
        BoardRow(
            **dict(latest),
            commodity=latest.latest.commodity,
            old=is_old(latest.latest.observed_on, market.timezone),
        )
        for latest in found
    ]
    rows.sort(key=lambda r: (r.commodity, r.variety or "", r.price_type, r.unit, r.currency))
    return MarketBoard(
        market=market.slug,
        country=market.country_code,
        today=clock.today(market.timezone),
        fresh_days=FRESH_DAYS,
        rows=rows,
    )


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
    return _board(m, await latest_series(session, index=index, markets=[m], commodity=None))


async def country_board(
    session: AsyncSession, *, country: str, index: CatalogueIndex | None = None
) -> list[MarketBoard]:
    """The boards of every market of `country` (a code as stored) with a published price, in
    one read; for anyone (the public board), so no staff member is checked."""
    index = index or await load_index(session)
    markets = [m for m in index.market_by_id.values() if m.country_code == country]
    found = await latest_series(session, index=index, markets=markets, commodity=None)
    by_market: dict[str, list[LatestPrice]] = defaultdict(list)
    for latest in found:
        by_market[latest.latest.market].append(latest)
    return [_board(m, by_market[m.slug]) for m in markets if m.slug in by_market]
