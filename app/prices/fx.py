"""Exchange rates in force on a date, and conversions through them (directly, inverted, or
across one other currency: USD, or the kyat when all the rates are the central bank's), from
rates loaded once per request."""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import col, or_
from sqlmodel.ext.asyncio.session import AsyncSession

from app.catalogue.models import Unit
from app.core.db import core_table, run_core
from app.prices.models import FxRate, NotConverted

PIVOT = "USD"


class _Rate(Protocol):
    id: int | None
    base: str
    quote: str
    rate: Decimal
    on_date: dt.date


# The columns a book needs, read as plain rows: building ORM objects for a few hundred rates
# cost more than the conversions themselves.
_COLUMNS = (
    col(FxRate.id),
    col(FxRate.base),
    col(FxRate.quote),
    col(FxRate.rate),
    col(FxRate.on_date),
)


# The two reads of FxBook.load(), built once: a book is loaded for every price answered, and
# building these statements cost more than running them.
_PAIRS = or_(
    col(FxRate.base).in_(sa.bindparam("wanted", expanding=True)),
    col(FxRate.quote).in_(sa.bindparam("wanted", expanding=True)),
)
_UNTIL = sa.select(*_COLUMNS).where(col(FxRate.on_date) <= sa.bindparam("until"), _PAIRS)
# The rates in force on `since`, per pair: the pairs are found by skipping through the unique
# index on (base, quote, on_date, source), one seek per pair, and each pair's rate by one more
# seek; grouping every rate up to `since` by pair read the pairs' whole history, on every
# price answered. Written as SQL because the skip is a recursive query, the same on SQLite and
# PostgreSQL; the columns are typed so that rates come back as Decimal and dates as dates.
_SINCE = (
    sa.text(
        """
WITH RECURSIVE pair(base, quote) AS (
    SELECT lowest.base, (SELECT min(r.quote) FROM fx_rate r WHERE r.base = lowest.base)
    FROM (SELECT min(base) AS base FROM fx_rate) AS lowest
    WHERE lowest.base IS NOT NULL
    UNION ALL
    SELECT
        CASE
            WHEN (SELECT min(r.quote) FROM fx_rate r WHERE r.base = p.base AND r.quote > p.quote)
                IS NOT NULL THEN p.base
            ELSE (SELECT min(r.base) FROM fx_rate r WHERE r.base > p.base)
        END,
        coalesce(
            (SELECT min(r.quote) FROM fx_rate r WHERE r.base = p.base AND r.quote > p.quote),
            (SELECT min(r.quote) FROM fx_rate r
             WHERE r.base = (SELECT min(n.base) FROM fx_rate n WHERE n.base > p.base))
        )
    FROM pair p
    WHERE p.base IS NOT NULL
)
SELECT fx_rate.id, fx_rate.base, fx_rate.quote, fx_rate.rate, fx_rate.on_date
FROM pair JOIN fx_rate ON fx_rate.base = pair.base AND fx_rate.quote = pair.quote
WHERE (pair.base IN :wanted OR pair.quote IN :wanted)
    AND fx_rate.on_date = (
        SELECT max(r.on_date) FROM fx_rate r
        WHERE r.base = pair.base AND r.quote = pair.quote AND r.on_date <= :since
    )
UNION ALL
SELECT fx_rate.id, fx_rate.base, fx_rate.quote, fx_rate.rate, fx_rate.on_date
FROM fx_rate
WHERE fx_rate.on_date > :since AND fx_rate.on_date <= :until
    AND (fx_rate.base IN :wanted OR fx_rate.quote IN :wanted)
"""
    )
    .bindparams(
        sa.bindparam("wanted", expanding=True),
        sa.bindparam("since", type_=sa.Date()),
        sa.bindparam("until", type_=sa.Date()),
    )
    .columns(*(core_table(FxRate).c[name] for name in ("id", "base", "quote", "rate", "on_date")))
)


@dataclass(frozen=True)
class Route:
    """How one currency becomes another on a date: the rate, the date of the oldest published
    rate it took, and those rates (one, or two across a third currency), to name them."""

    rate: Decimal
    on: dt.date
    rate_ids: tuple[int, ...]


@dataclass(frozen=True)
class Converted:
    """A price in another unit and currency."""

    amount: Decimal
    converted: bool  # whether the unit or the currency changed at all
    rate_ids: tuple[int, ...]  # the exchange rates used, as stored (FxRate ids)


class FxBook:
    def __init__(self, rates: Iterable[_Rate]) -> None:
        # (base, quote) -> dates ascending, with the rate on each (one per date: the last loaded)
        by_pair: dict[tuple[str, str], dict[dt.date, Decimal]] = defaultdict(dict)
        ids: dict[tuple[str, str], dict[dt.date, int]] = defaultdict(dict)
        for r in sorted(rates, key=lambda r: (r.on_date, r.id or 0)):
            by_pair[(r.base, r.quote)][r.on_date] = Decimal(r.rate)
            ids[(r.base, r.quote)][r.on_date] = r.id or 0
        self._dates = {pair: sorted(values) for pair, values in by_pair.items()}
        self._rates = by_pair
        self._ids = ids
        self._currencies = {code for pair in by_pair for code in pair}
        # A series converts many prices of the same days: each route is found once per book.
        self._routes: dict[tuple[str, str, dt.date], Route | None] = {}

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        currencies: Iterable[str],
        until: dt.date,
        *,
        since: dt.date | None = None,
    ) -> FxBook:
        """The rates for conversions on dates up to `until`; with `since`, only for dates from
        `since` on: the rates published after it and, per pair, the one in force on it, not
        years of daily history."""
        wanted = sorted(set(currencies) | {PIVOT})
        if since is None:
            rows = await run_core(session, _UNTIL, {"wanted": wanted, "until": until})
        else:
            rows = await run_core(
                session, _SINCE, {"wanted": wanted, "until": until, "since": since}
            )
        return cls(rows.all())

    def _direct(self, base: str, quote: str, on: dt.date) -> Route | None:
        dates = self._dates.get((base, quote))
        if dates:
            i = bisect.bisect_right(dates, on)
            if i:
                day = dates[i - 1]
                return Route(self._rates[(base, quote)][day], day, (self._ids[(base, quote)][day],))
        return None

    def _pair(self, base: str, quote: str, on: dt.date) -> Route | None:
        direct = self._direct(base, quote, on)
        inverse = self._direct(quote, base, on)
        if inverse and (not direct or inverse.on > direct.on):  # the fresher one wins
            return Route(Decimal(1) / inverse.rate, inverse.on, inverse.rate_ids)
        return direct

    def route(self, base: str, quote: str, on: dt.date) -> Route | None:
        """The rate in force on `on` (the latest published on or before it), with the rates
        it was taken from."""
        key = (base, quote, on)
        if key not in self._routes:
            self._routes[key] = self._route(base, quote, on)
        return self._routes[key]

    def _route(self, base: str, quote: str, on: dt.date) -> Route | None:
        if base == quote:
            return Route(Decimal(1), on, ())
        found = self._pair(base, quote, on)
        if found:
            return found
        # One hop through a currency both are quoted against: the freshest such route, USD
        # first among equals.
        best: tuple[tuple[dt.date, bool], Route] | None = None
        for via in self._currencies - {base, quote}:
            first, second = self._pair(base, via, on), self._pair(via, quote, on)
            if first and second:
                on_date = min(first.on, second.on)
                rank = (on_date, via == PIVOT)
                if best is None or rank > best[0]:
                    hop = Route(first.rate * second.rate, on_date, first.rate_ids + second.rate_ids)
                    best = (rank, hop)
        return None if best is None else best[1]

    def rate(self, base: str, quote: str, on: dt.date) -> tuple[Decimal, dt.date] | None:
        """The rate in force on `on` (the latest published on or before it) and its date."""
        found = self.route(base, quote, on)
        return None if found is None else (found.rate, found.on)

    def convert(
        self, amount: Decimal, base: str, quote: str, on: dt.date
    ) -> tuple[Decimal, dt.date] | None:
        found = self.route(base, quote, on)
        return None if found is None else (amount * found.rate, found.on)


def convert_price(
    amount: Decimal,
    unit: Unit,
    currency: str,
    to_unit: Unit,
    to_currency: str,
    on: dt.date,
    book: FxBook,
) -> Converted | NotConverted:
    """A price per `unit` in `currency` as a price per `to_unit` in `to_currency`, with the
    rate in force on `on`; or why it cannot be: a unit without a kg factor (piece), or no
    exchange rate."""
    if unit.id != to_unit.id:
        if not unit.kg_factor or not to_unit.kg_factor:
            return NotConverted.UNIT
        amount = amount / Decimal(unit.kg_factor) * Decimal(to_unit.kg_factor)
    rate_ids: tuple[int, ...] = ()
    if currency != to_currency:
        found = book.route(currency, to_currency, on)
        if found is None:
            return NotConverted.RATE
        amount, rate_ids = amount * found.rate, found.rate_ids
    return Converted(amount, unit.id != to_unit.id or currency != to_currency, rate_ids)
