"""Exact duplicates of a price observation, refused instead of stored twice.

An observation nobody keyed (the API, the bots, a CSV without `external_key`) is the same as an
existing one when its series (commodity, variety, market, unit, currency, price type), date,
price and source (the channel, and who sent it) all match: the same report sent again, by a
retry, a double click or a re-imported file. Two reporters who saw the same price are two
observations and both count. Keyed rows (collectors, keyed CSV rows) are made idempotent by
their `external_key` instead. The unique index `uq_price_observation_exact` holds the same rule
in the database, so two identical requests racing cannot both be stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict
from app.prices.models import PriceObservation

Key = tuple[Any, ...]


def exact_key(price: PriceObservation) -> Key:
    return (
        price.commodity_id,
        price.variety_id,
        price.market_id,
        price.unit_id,
        price.currency,
        price.price_type,
        price.observed_on,
        Decimal(price.price),  # 12600 and 12600.0000 are the same price
        price.source,
        price.created_by,
    )


class DuplicatePrice(Conflict):
    """409 naming the price already stored, so the client can use it instead."""

    def __init__(self, existing: PriceObservation) -> None:
        self.existing_id = existing.id or 0
        self.existing_status = existing.status
        super().__init__(
            f"this price is already stored as price {existing.id} ({existing.status}): same "
            "market, commodity, variety, unit, currency, price type, date, price and source"
        )


async def existing_twins(
    session: AsyncSession, prices: Sequence[PriceObservation]
) -> dict[Key, PriceObservation]:
    """Stored, unkeyed observations with the exact key of any of `prices` (one query)."""
    if not prices:
        return {}
    query = (
        select(PriceObservation)
        .where(
            col(PriceObservation.external_key).is_(None),
            col(PriceObservation.commodity_id).in_({p.commodity_id for p in prices}),
            col(PriceObservation.market_id).in_({p.market_id for p in prices}),
            col(PriceObservation.observed_on) >= min(p.observed_on for p in prices),
            col(PriceObservation.observed_on) <= max(p.observed_on for p in prices),
        )
        .order_by(col(PriceObservation.id))
    )
    wanted = {exact_key(p) for p in prices}
    ids = {p.id for p in prices if p.id is not None}
    found: dict[Key, PriceObservation] = {}
    # No autoflush: a corrected price must be compared before its new values reach the index.
    with session.no_autoflush:
        rows = (await session.exec(query)).all()
    for row in rows:
        key = exact_key(row)
        if key in wanted and row.id not in ids:
            found.setdefault(key, row)
    return found


async def refuse_duplicate(session: AsyncSession, price: PriceObservation) -> None:
    """DuplicatePrice when an unkeyed `price` (new or corrected) repeats a stored one."""
    if price.external_key is not None:
        return
    twin = (await existing_twins(session, [price])).get(exact_key(price))
    if twin is not None:
        raise DuplicatePrice(twin)
