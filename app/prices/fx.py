"""Exchange rates in force on a date, and conversions through them (directly, inverted, or
across USD), from rates loaded once per request."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.prices.models import FxRate

PIVOT = "USD"


class FxBook:
    def __init__(self, rates: Iterable[FxRate]) -> None:
        # (base, quote) -> dates ascending, with the rate on each (one per date: the last loaded)
        by_pair: dict[tuple[str, str], dict[dt.date, Decimal]] = defaultdict(dict)
        for r in sorted(rates, key=lambda r: (r.on_date, r.id or 0)):
            by_pair[(r.base, r.quote)][r.on_date] = Decimal(r.rate)
        self._dates = {pair: sorted(values) for pair, values in by_pair.items()}
        self._rates = by_pair

    @classmethod
    async def load(cls, session: AsyncSession, currencies: Iterable[str], until: dt.date) -> FxBook:
        wanted = set(currencies) | {PIVOT}
        rows = await session.exec(
            select(FxRate).where(
                col(FxRate.on_date) <= until,
                or_(col(FxRate.base).in_(wanted), col(FxRate.quote).in_(wanted)),
            )
        )
        return cls(rows.all())

    def _direct(self, base: str, quote: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        dates = self._dates.get((base, quote))
        if dates:
            i = bisect.bisect_right(dates, on)
            if i:
                return self._rates[(base, quote)][dates[i - 1]], dates[i - 1]
        return None

    def _pair(self, base: str, quote: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        direct = self._direct(base, quote, on)
        inverse = self._direct(quote, base, on)
        if inverse and (not direct or inverse[1] > direct[1]):  # the fresher one wins
            return Decimal(1) / inverse[0], inverse[1]
        return direct

    def rate(self, base: str, quote: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        """The rate in force on `on` (the latest published on or before it) and its date."""
        if base == quote:
            return Decimal(1), on
        found = self._pair(base, quote, on)
        if found or PIVOT in (base, quote):
            return found
        to_pivot, from_pivot = self._pair(base, PIVOT, on), self._pair(PIVOT, quote, on)
        if to_pivot and from_pivot:
            return to_pivot[0] * from_pivot[0], min(to_pivot[1], from_pivot[1])
        return None

    def convert(
        self, amount: Decimal, base: str, quote: str, on: dt.date
    ) -> tuple[Decimal, dt.date] | None:
        found = self.rate(base, quote, on)
        return None if found is None else (amount * found[0], found[1])
