"""One commodity at several markets side by side: every published price of the same days in
one unit and currency, the exchange rates that converted them named, and the prices that could
not be converted counted with the reason. Staff see their countries; without a staff member
(the public board) every country is shown."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeVar

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.service import Staff
from app.catalogue.models import Market, Unit
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.core.db import WEEKS_FROM, DayNumber, run_core
from app.core.errors import InvalidInput
from app.prices.currencies import currency_code
from app.prices.fx import FxBook
from app.prices.models import (
    Comparison,
    FxRate,
    FxRatePublic,
    PriceObservation,
    PriceStatus,
    PriceType,
    Unconvertible,
)
from app.prices.reads import ConvertedPrices, convert_series, published_prices

DEFAULT_DAYS: Final = 90
# Two years of daily prices at a few markets is as much as one page can chart and list.
MAX_DAYS: Final = 730
# Lines a chart keeps apart (app.web.charts gives each a colour and a dash of its own).
MAX_MARKETS: Final = 8
WHOLE_SERIES: Final = "all"
# The lengths a page offers to choose from, up to the longest a comparison covers.
DAY_CHOICES: Final = ("30", "90", "180", "365", str(MAX_DAYS), WHOLE_SERIES)

K = TypeVar("K", bound=Hashable)
_FOUR_PLACES: Final = Decimal("0.0001")


def days_of(text: str) -> int | None:
    """The days of a comparison as a form or a query writes them: a number of days up to
    today, or "all" for the whole series (None); compare_markets() checks the number."""
    text = text.strip().lower()
    if text == WHOLE_SERIES:
        return None
    if not text.isdecimal():
        raise InvalidInput(f"days is a number of days or {WHOLE_SERIES!r}, not {text!r}")
    return int(text)


def _most_common(values: Iterable[K]) -> K:
    """The value given most often; among equals, the one given last (values come oldest
    first, so that is the one in use now)."""
    counts: Counter[K] = Counter()
    last: dict[K, int] = {}
    for position, value in enumerate(values):
        counts[value] += 1
        last[value] = position
    return max(counts, key=lambda value: (counts[value], last[value]))


def _asked_markets(
    index: CatalogueIndex, staff: Staff | None, markets: Sequence[str]
) -> list[Market]:
    found: dict[int | None, Market] = {}
    for text in markets:
        market = index.market(text)
        if staff is not None:
            staff.check_country(market.country_code, f"market {market.slug}")
        found.setdefault(market.id, market)
    if len(found) > MAX_MARKETS:
        raise InvalidInput(f"compare at most {MAX_MARKETS} markets at once, not {len(found)}")
    return list(found.values())


async def markets_with_prices(
    session: AsyncSession,
    *,
    staff: Staff | None,
    commodity: str,
    index: CatalogueIndex | None = None,
) -> list[str]:
    """The markets (in the staff member's countries) with published prices of `commodity` on
    any day: those a comparison of it may name."""
    index = index or await load_index(session)
    c = index.commodity(commodity)
    query = select(PriceObservation.market_id).where(
        PriceObservation.commodity_id == c.id, PriceObservation.status == PriceStatus.PUBLISHED
    )
    if staff is not None and staff.countries is not None:
        query = query.where(col(PriceObservation.country_code).in_(sorted(staff.countries)))
    found = (await session.exec(query.distinct())).all()
    return sorted(index.market_by_id[market_id].slug for market_id in found)


async def compare_markets(
    session: AsyncSession,
    *,
    staff: Staff | None,
    commodity: str,
    markets: Sequence[str] = (),
    variety: str | None = None,
    unit: str | None = None,
    currency: str | None = None,
    price_type: PriceType | None = None,
    days: int | None = DEFAULT_DAYS,
    country: str | None = None,
    by_week: bool = False,
    index: CatalogueIndex | None = None,
) -> Comparison:
    """The published prices of `commodity` at `markets` over the last `days` (None: the whole
    series, at most MAX_DAYS), in `unit` and `currency`. Without markets: every market in
    the staff member's countries (in `country`, a code as stored, when given) with prices in
    those days, the MAX_MARKETS with the most. With `by_week`, a market's prices of a week in
    one unit, currency, variety and price type are averaged into one point, dated the week's
    Monday and converted at that day's rates: a chart over years reads and sends a seventh.
    Without a unit or currency: the one most of the prices are quoted in. A caller holding an
    index of the catalogue passes it."""
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days is a number from 1 to {MAX_DAYS}, or the whole series")
    index = index or await load_index(session)
    c = index.commodity(commodity)
    v = index.variety(c, variety) if variety else None
    target_unit = index.unit(unit) if unit else None
    target_currency = currency_code(currency) if currency else None
    asked = _asked_markets(index, staff, markets)
    scope = asked or [
        m
        for m in index.market_by_id.values()
        if (staff is None or staff.can_see(m.country_code))
        and (country is None or m.country_code == country)
    ]
    # Up to the newest "today" among the markets: none of their prices of today is left out.
    last = max((clock.today(m.timezone) for m in scope), default=clock.today("UTC"))
    query = published_prices(
        c.id or 0, variety_id=v.id if v else None, price_type=price_type, observed_to=last
    ).where(col(PriceObservation.market_id).in_([m.id for m in scope]))
    earliest = last - dt.timedelta(days=MAX_DAYS - 1)
    first, clipped = last - dt.timedelta(days=(days or MAX_DAYS) - 1), False
    if days is None:
        started = await _first_day(session, query)
        first = earliest if started is None else max(started, earliest)
        clipped = started is not None and started < earliest
    query = query.where(col(PriceObservation.observed_on) >= first)
    chosen, more = (asked, []) if asked else await _busiest_markets(session, query, index)
    in_chosen = col(PriceObservation.market_id).in_([m.id for m in chosen])
    chosen_prices = query.where(in_chosen)
    rows = await (_weekly(session, chosen_prices) if by_week else _daily(session, chosen_prices))
    u = target_unit or (index.unit_by_id[_most_common(p.unit_id for p in rows)] if rows else None)
    cur = target_currency or (_most_common(p.currency for p in rows) if rows else None)
    converted = await _convert(session, index, rows, u, cur)
    nothing = ConvertedPrices()
    return Comparison(
        commodity=c.slug,
        variety=v.slug if v else None,
        price_type=price_type,
        unit=u.code if u else None,
        currency=cur,
        observed_from=first,
        observed_to=last,
        clipped=clipped,
        series=[
            converted.get(m.id, nothing).series(
                commodity=c, variety=v, market=m, unit=u, currency=cur, price_type=price_type
            )
            for m in chosen
        ],
        more_markets=[m.slug for m in more],
        rates=await _rates(session, {i for found in converted.values() for i in found.rate_ids}),
        unconverted=[
            Unconvertible(
                price_id=p.id or 0,
                market=m.slug,
                observed_on=p.observed_on,
                price=p.price,
                currency=p.currency,
                unit=index.unit_by_id[p.unit_id].code,
                reason=reason,
            )
            for m in chosen
            for p, reason in converted.get(m.id, nothing).unconverted
        ],
    )


@dataclass(frozen=True, slots=True)
class _Quote:
    """The columns of a price a comparison reads (whole rows cost five times as much to load)."""

    id: int
    market_id: int
    variety_id: int | None
    price_type: PriceType
    unit_id: int
    currency: str
    observed_on: dt.date
    price: Decimal


_QUOTED = tuple(getattr(PriceObservation, f.name) for f in dataclasses.fields(_Quote))


async def _daily(session: AsyncSession, prices: SelectOfScalar[PriceObservation]) -> list[_Quote]:
    order = (col(PriceObservation.observed_on), col(PriceObservation.id))
    found = await run_core(session, prices.order_by(*order).with_only_columns(*_QUOTED))
    return [_Quote(*row) for row in found.all()]


async def _weekly(session: AsyncSession, prices: SelectOfScalar[PriceObservation]) -> list[_Quote]:
    """Each week's prices of a series averaged by the database, dated the week's Monday, oldest
    first; a point keeps the id of the newest price it averages."""
    p = PriceObservation
    week = DayNumber(col(p.observed_on)) // 7
    series = (col(p.market_id), col(p.variety_id), col(p.price_type), col(p.unit_id))
    averaged = prices.with_only_columns(
        sa.func.max(col(p.id)), *series, col(p.currency), week, sa.func.avg(col(p.price))
    ).group_by(*series, col(p.currency), week)
    found = (await run_core(session, averaged)).all()
    rows = [
        _Quote(
            id=newest,
            market_id=market_id,
            variety_id=variety_id,
            price_type=PriceType(price_type),
            unit_id=unit_id,
            currency=currency,
            observed_on=WEEKS_FROM + dt.timedelta(weeks=number),
            # SQLite's average is a float: rounded as prices are stored, to four places.
            price=Decimal(str(average)).quantize(_FOUR_PLACES),
        )
        for newest, market_id, variety_id, price_type, unit_id, currency, number, average in found
    ]
    return sorted(rows, key=lambda q: (q.observed_on, q.id))


async def _convert(
    session: AsyncSession,
    index: CatalogueIndex,
    rows: list[_Quote],
    unit: Unit | None,
    currency: str | None,
) -> dict[int | None, ConvertedPrices]:
    """Each market's prices (`rows`, oldest first) in `unit` and `currency`, through one book
    of the exchange rates in force over their days."""
    if not rows or unit is None or currency is None:
        return {}
    book = await FxBook.load(
        session,
        {p.currency for p in rows} | {currency},
        rows[-1].observed_on,
        since=rows[0].observed_on,
    )
    by_market: dict[int | None, list[_Quote]] = defaultdict(list)
    for p in rows:
        by_market[p.market_id].append(p)
    return {
        market_id: convert_series(prices, index=index, unit=unit, currency=currency, book=book)
        for market_id, prices in by_market.items()
    }


async def _first_day(
    session: AsyncSession, query: SelectOfScalar[PriceObservation]
) -> dt.date | None:
    prices = query.subquery()
    found: dt.date | None = (
        await run_core(session, sa.select(sa.func.min(prices.c.observed_on)))
    ).scalar_one()
    return found


async def _busiest_markets(
    session: AsyncSession, query: SelectOfScalar[PriceObservation], index: CatalogueIndex
) -> tuple[list[Market], list[Market]]:
    """The markets with prices among `query`'s: the MAX_MARKETS with the most (in country
    and name order), and the others."""
    prices = query.subquery()
    counted = (
        await run_core(
            session,
            sa.select(prices.c.market_id, sa.func.count()).group_by(prices.c.market_id),
        )
    ).all()
    ranked = sorted(counted, key=lambda row: (-row[1], index.market_by_id[row[0]].slug))
    markets = [index.market_by_id[market_id] for market_id, _ in ranked]
    chosen = sorted(markets[:MAX_MARKETS], key=lambda m: (m.country_code, m.slug))
    return chosen, markets[MAX_MARKETS:]


async def _rates(session: AsyncSession, ids: set[int]) -> list[FxRatePublic]:
    """The exchange rates as stored, to name them: pair, rate, day and source."""
    if not ids:
        return []
    rows = (await session.exec(select(FxRate).where(col(FxRate.id).in_(sorted(ids))))).all()
    return [
        FxRatePublic(**r.model_dump())
        for r in sorted(rows, key=lambda r: (r.base, r.quote, r.on_date, r.source))
    ]
