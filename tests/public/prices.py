"""Prices written straight to the database, many at once, in any status: what the open data
tests read back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.catalogue.service import load_index
from app.core import clock
from app.core.db import Database
from app.prices.models import PriceObservation, PriceStatus, PriceType


def yesterday() -> dt.date:
    return clock.utcnow().date() - dt.timedelta(days=1)


async def add_prices(database: Database, *rows: dict[str, Any]) -> list[int]:
    """One price per row: Muse mango (sein-ta-lone) in CNY per tonne, published yesterday,
    unless the row says otherwise (catalogue entries by slug)."""
    async with database.session() as session:
        index = await load_index(session)
        prices = []
        for row in rows:
            values = dict(row)
            market = index.market(values.pop("market", "muse"))
            commodity = index.commodity(values.pop("commodity", "mango"))
            variety = values.pop("variety", "sein-ta-lone" if commodity.slug == "mango" else None)
            status = values.pop("status", PriceStatus.PUBLISHED)
            published = status is PriceStatus.PUBLISHED
            prices.append(
                PriceObservation(
                    **{
                        "commodity_id": commodity.id,
                        "variety_id": index.variety(commodity, variety).id if variety else None,
                        "market_id": market.id,
                        "country_code": market.country_code,
                        "price": Decimal("12600"),
                        "currency": "CNY",
                        "unit_id": index.unit(values.pop("unit", "tonne")).id,
                        "price_type": PriceType.BORDER,
                        "observed_on": yesterday(),
                        "status": status,
                        "created_by": "thida",
                        "reviewed_by": "thida" if published else None,
                        "reviewed_at": clock.utcnow() if published else None,
                        **values,
                    }
                )
            )
        session.add_all(prices)
        await session.flush()
        return [p.id or 0 for p in prices]
