"""The names, in the reader's language, of the catalogue entries pages show (the console's and
the public board's): each page looks them up once, by slug, for every commodity, variety, market
and unit."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.service import CatalogueIndex, display_names, pick_name


@dataclass(frozen=True)
class Names:
    """Display names by slug (a unit by its code)."""

    commodity: dict[str, str]
    variety: dict[str, str]
    market: dict[str, str]
    unit: dict[str, str]


async def catalogue_names(session: AsyncSession, index: CatalogueIndex, locale: str) -> Names:
    commodities = await display_names(session, "commodity_id", index.commodity_by_id)
    varieties = await display_names(session, "variety_id", index.variety_by_id)
    markets = await display_names(session, "market_id", index.market_by_id)
    units = await display_names(session, "unit_id", index.unit_by_id)
    return Names(
        commodity={
            c.slug: pick_name(commodities[i], locale, c.slug)
            for i, c in index.commodity_by_id.items()
        },
        variety={
            v.slug: pick_name(varieties[i], locale, v.slug) for i, v in index.variety_by_id.items()
        },
        market={
            m.slug: pick_name(markets[i], locale, m.slug) for i, m in index.market_by_id.items()
        },
        unit={u.code: pick_name(units[i], locale, u.code) for i, u in index.unit_by_id.items()},
    )
