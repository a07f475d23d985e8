"""Prices read back: public shapes with kg, USD and local equivalents, lists, the latest
prices of a market, and series for charts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.actor import ActorKind
from app.accounts.service import Staff
from app.catalogue.models import Commodity, Market, Unit, Variety
from app.catalogue.service import CatalogueIndex, load_index
from app.core.errors import InvalidInput, NotFound
from app.core.pagination import MAX_LIMIT, Page
from app.prices.currencies import currency_code
from app.prices.fx import PIVOT, FxBook, convert_price
from app.prices.models import (
    Equivalents,
    LatestPrice,
    NotConverted,
    PriceObservation,
    PricePublic,
    PriceStatus,
    PriceType,
    Series,
    SeriesPoint,
)

_FOUR_PLACES = Decimal("0.0001")
PriceQuery = SelectOfScalar[PriceObservation]


async def to_public(
    session: AsyncSession,
    prices: Sequence[PriceObservation],
    *,
    index: CatalogueIndex | None = None,
) -> list[PricePublic]:
    """Public shapes for many prices, with names and kg/USD/local equivalents, in few queries.
    A caller holding an index of the catalogue (the command parser's) passes it."""
    if not prices:
        return []
    index = index or await load_index(session)
    countries = index.currency_of_country
    currencies = {p.currency for p in prices} | set(countries.values())
    book = await FxBook.load(
        session,
        currencies,
        max(p.observed_on for p in prices),
        since=min(p.observed_on for p in prices),
    )
    out = []
    for p in prices:
        unit = index.unit_by_id[p.unit_id]
        out.append(
            PricePublic(
                id=p.id or 0,
                commodity=index.commodity_by_id[p.commodity_id].slug,
                variety=index.variety_by_id[p.variety_id].slug if p.variety_id else None,
                market=index.market_by_id[p.market_id].slug,
                country=p.country_code,
                price=Decimal(p.price),
                price_min=p.price_min,
                price_max=p.price_max,
                currency=p.currency,
                unit=unit.code,
                price_type=p.price_type,
                observed_on=p.observed_on,
                status=p.status,
                outlier=p.outlier,
                source=p.source,
                created_by=p.created_by,
                reviewed_by=p.reviewed_by,
                reviewed_at=p.reviewed_at,
                reject_reason=p.reject_reason,
                note=p.note,
                created_at=p.created_at,
                updated_at=p.updated_at,
                equivalents=equivalents(p, unit, countries.get(p.country_code), book),
            )
        )
    return out


def _q(value: Decimal) -> Decimal:
    return value.quantize(_FOUR_PLACES, ROUND_HALF_UP)


def equivalents(
    price: PriceObservation, unit: Unit, local_currency: str | None, book: FxBook
) -> Equivalents:
    amount = Decimal(price.price)
    factor = Decimal(unit.kg_factor) if unit.kg_factor else None
    result = Equivalents(local_currency=local_currency)
    if factor:
        result.per_kg = _q(amount / factor)
    fx_dates = []
    usd = book.convert(amount, price.currency, PIVOT, price.observed_on)
    if usd:
        result.usd = _q(usd[0])
        result.usd_per_kg = _q(usd[0] / factor) if factor else None
        fx_dates.append(usd[1])
    if local_currency:
        local = book.convert(amount, price.currency, local_currency, price.observed_on)
        if local:
            result.local = _q(local[0])
            result.local_per_kg = _q(local[0] / factor) if factor else None
            fx_dates.append(local[1])
    result.fx_date = min(fx_dates) if fx_dates else None
    return result


_REPORTER = f"{ActorKind.PRODUCER.value}:"


def field_reports() -> Any:
    """The prices field reporters sent themselves (by SMS or Telegram): their actor is a
    producer (app.commands files them with Actor.producer)."""
    return col(PriceObservation.created_by).like(f"{_REPORTER}%")


def is_field_report(price: PriceObservation) -> bool:
    """What field_reports() selects, for one price already read."""
    return price.created_by.startswith(_REPORTER)


@dataclass
class PriceFilter:
    commodity: str | None = None
    variety: str | None = None
    market: str | None = None
    country: str | None = None
    status: PriceStatus | None = None
    price_type: PriceType | None = None
    observed_from: dt.date | None = None
    observed_to: dt.date | None = None
    source: str | None = None  # as stored: api, csv, sms, telegram, a source's slug...
    reports: bool | None = None  # True: field reports only; False: none of them


async def list_prices(
    session: AsyncSession,
    *,
    staff: Staff,
    filters: PriceFilter,
    cursor: int | None = None,
    limit: int = 50,
) -> Page[PricePublic]:
    limit = max(1, min(limit, MAX_LIMIT))
    index = await load_index(session)
    query = select(PriceObservation).order_by(col(PriceObservation.id).desc()).limit(limit + 1)
    countries = staff.visible_countries(filters.country)
    if countries is not None:
        query = query.where(col(PriceObservation.country_code).in_(countries))
    query = filtered(query, index, filters)
    if cursor is not None:
        query = query.where(col(PriceObservation.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=await to_public(session, rows),
        next_cursor=rows[-1].id if more and rows else None,
    )


def filtered(query: PriceQuery, index: CatalogueIndex, filters: PriceFilter) -> PriceQuery:
    """`query` narrowed to the prices `filters` select, but for their country, which each caller
    scopes its own way (a staff member's countries, or anyone's). Unknown names are refused."""
    if filters.commodity:
        commodity = index.commodity(filters.commodity)
        query = query.where(PriceObservation.commodity_id == commodity.id)
        if filters.variety:
            variety = index.variety(commodity, filters.variety)
            query = query.where(PriceObservation.variety_id == variety.id)
    elif filters.variety:
        raise InvalidInput("filtering by variety needs the commodity too")
    if filters.market:
        query = query.where(PriceObservation.market_id == index.market(filters.market).id)
    if filters.status:
        query = query.where(PriceObservation.status == filters.status)
    if filters.price_type:
        query = query.where(PriceObservation.price_type == filters.price_type)
    if filters.observed_from:
        query = query.where(col(PriceObservation.observed_on) >= filters.observed_from)
    if filters.observed_to:
        query = query.where(col(PriceObservation.observed_on) <= filters.observed_to)
    if filters.source:
        query = query.where(PriceObservation.source == filters.source.strip())
    if filters.reports is not None:
        query = query.where(field_reports() if filters.reports else ~field_reports())
    return query


async def published_price(session: AsyncSession, price_id: int) -> PriceObservation:
    """A price anyone may read. An unknown id and a price not published (pending, rejected)
    are the same NotFound, so a reader cannot learn that an unpublished price exists."""
    price = await session.get(PriceObservation, price_id)
    if price is None or price.status is not PriceStatus.PUBLISHED:
        raise NotFound(f"no published price {price_id}")
    return price


async def previous_published(
    session: AsyncSession, price: PriceObservation
) -> PriceObservation | None:
    """The last published price of the same series (place, thing, unit, currency, price type)
    before `price`: what its change is measured against."""
    query = (
        select(PriceObservation)
        .where(
            PriceObservation.commodity_id == price.commodity_id,
            PriceObservation.market_id == price.market_id,
            PriceObservation.unit_id == price.unit_id,
            PriceObservation.currency == price.currency,
            PriceObservation.price_type == price.price_type,
            PriceObservation.status == PriceStatus.PUBLISHED,
            PriceObservation.id != price.id,
            col(PriceObservation.observed_on) <= price.observed_on,
        )
        .order_by(col(PriceObservation.observed_on).desc(), col(PriceObservation.id).desc())
        .limit(1)
    )
    query = query.where(
        col(PriceObservation.variety_id).is_(None)
        if price.variety_id is None
        else PriceObservation.variety_id == price.variety_id
    )
    return (await session.exec(query)).first()


def _change(latest: Decimal, previous: Decimal | None) -> Decimal | None:
    if previous is None or previous == 0:
        return None
    return ((latest - previous) / previous * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


def published_prices(
    commodity_id: int,
    *,
    variety_id: int | None = None,
    price_type: PriceType | None = None,
    observed_from: dt.date | None = None,
    observed_to: dt.date | None = None,
) -> SelectOfScalar[PriceObservation]:
    """The published prices of a commodity (one variety of it, one price type, between two
    days), as a query to narrow further: what every chart and comparison reads."""
    query = select(PriceObservation).where(
        PriceObservation.commodity_id == commodity_id,
        PriceObservation.status == PriceStatus.PUBLISHED,
    )
    if variety_id is not None:
        query = query.where(PriceObservation.variety_id == variety_id)
    if price_type:
        query = query.where(PriceObservation.price_type == price_type)
    if observed_from:
        query = query.where(col(PriceObservation.observed_on) >= observed_from)
    if observed_to:
        query = query.where(col(PriceObservation.observed_on) <= observed_to)
    return query


async def latest_series(
    session: AsyncSession,
    *,
    index: CatalogueIndex,
    markets: Sequence[Market],
    commodity: Commodity | None,
) -> list[LatestPrice]:
    """Per market, commodity (or for one), variety, price type, unit and currency: the newest
    published price and the one before, with the change. The database picks the two of each
    series, so the markets' years of history are never read."""
    p = PriceObservation
    key = (
        col(p.market_id),
        col(p.commodity_id),
        col(p.variety_id),
        col(p.price_type),
        col(p.unit_id),
        col(p.currency),
    )
    # The series, then the two newest prices of each, both read along ix_price_latest: its
    # entries for a market are in series order, so the distinct series are found by skipping
    # from one to the next and each one's newest prices are at the end of its run. (A window
    # over every published price of a country's markets read and sorted all of them.)
    found = sa.select(*key).where(
        col(p.status) == PriceStatus.PUBLISHED, col(p.market_id).in_([m.id for m in markets])
    )
    if commodity is not None:
        found = found.where(col(p.commodity_id) == commodity.id)
    series_of = found.distinct().subquery("series_of")
    q = sa.orm.aliased(p, name="newest")
    newest_two = (
        sa.select(col(q.id))
        .where(
            col(q.status) == PriceStatus.PUBLISHED,
            col(q.market_id) == series_of.c.market_id,
            col(q.commodity_id) == series_of.c.commodity_id,
            col(q.variety_id).is_not_distinct_from(series_of.c.variety_id),
            col(q.price_type) == series_of.c.price_type,
            col(q.unit_id) == series_of.c.unit_id,
            col(q.currency) == series_of.c.currency,
        )
        .order_by(col(q.observed_on).desc(), col(q.id).desc())
        .limit(2)
        .correlate(series_of)
    )
    rows = (
        await session.exec(
            select(p)
            .select_from(series_of)
            .join(p, col(p.id).in_(newest_two.scalar_subquery()))
            .order_by(col(p.observed_on).desc(), col(p.id).desc())
        )
    ).all()
    series: dict[tuple[Any, ...], list[PriceObservation]] = defaultdict(list)
    for row in rows:
        series[
            (
                row.market_id,
                row.commodity_id,
                row.variety_id,
                row.price_type,
                row.unit_id,
                row.currency,
            )
        ].append(row)
    shown = await to_public(session, list(rows), index=index)
    by_id = {price.id: price for price in shown}
    result = []
    for pair in series.values():
        latest = by_id[pair[0].id or 0]
        previous = by_id[pair[1].id or 0] if len(pair) > 1 else None
        result.append(
            LatestPrice(
                variety=latest.variety,
                price_type=latest.price_type,
                unit=latest.unit,
                currency=latest.currency,
                latest=latest,
                previous=previous,
                change_percent=_change(latest.price, previous.price if previous else None),
            )
        )
    return result


async def latest_prices(
    session: AsyncSession, *, staff: Staff | None, commodity: str, market: str
) -> list[LatestPrice]:
    """Per variety, price type, unit and currency: the newest published price and the one before."""
    index = await load_index(session)
    c, m = index.commodity(commodity), index.market(market)
    if staff is not None:
        staff.check_country(m.country_code, f"market {m.slug}")
    result = await latest_series(session, index=index, markets=[m], commodity=c)
    return sorted(result, key=lambda r: (r.variety or "", r.price_type, r.unit, r.currency))


class Quoted(Protocol):
    """A price as a series reads it: a stored PriceObservation, or a few of its columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def variety_id(self) -> int | None: ...
    @property
    def price_type(self) -> PriceType: ...
    @property
    def unit_id(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def observed_on(self) -> dt.date: ...
    @property
    def price(self) -> Decimal: ...


@dataclass
class ConvertedPrices:
    """Prices as points of one series in one unit and currency."""

    points: list[SeriesPoint] = field(default_factory=list)
    # Those that cannot be, and why.
    unconverted: list[tuple[Quoted, NotConverted]] = field(default_factory=list)
    rate_ids: set[int] = field(default_factory=set)  # the exchange rates used

    def series(
        self,
        *,
        commodity: Commodity,
        variety: Variety | None,
        market: Market,
        unit: Unit | None,
        currency: str | None,
        price_type: PriceType | None,
    ) -> Series:
        return Series(
            commodity=commodity.slug,
            variety=variety.slug if variety else None,
            market=market.slug,
            unit=unit.code if unit else None,
            currency=currency,
            price_type=price_type,
            points=self.points,
            unconverted_price_ids=[p.id or 0 for p, _ in self.unconverted],
        )


def convert_series(
    rows: Sequence[Quoted],
    *,
    index: CatalogueIndex,
    unit: Unit,
    currency: str,
    book: FxBook,
) -> ConvertedPrices:
    """Each price, in the order given, as a point in `unit` and `currency`: prices quoted
    otherwise are converted (kg factors, the FX rate in force on their date)."""
    found = ConvertedPrices()
    for p in rows:
        value = convert_price(
            Decimal(p.price),
            index.unit_by_id[p.unit_id],
            p.currency,
            unit,
            currency,
            p.observed_on,
            book,
        )
        if isinstance(value, NotConverted):
            found.unconverted.append((p, value))
            continue
        found.rate_ids.update(value.rate_ids)
        found.points.append(
            SeriesPoint(
                observed_on=p.observed_on,
                price=_q(value.amount) if value.converted else Decimal(p.price),
                price_id=p.id or 0,
                variety=index.variety_by_id[p.variety_id].slug if p.variety_id else None,
                price_type=p.price_type,
                converted=value.converted,
            )
        )
    return found


async def price_series(
    session: AsyncSession,
    *,
    staff: Staff | None,
    commodity: str,
    market: str,
    variety: str | None = None,
    unit: str | None = None,
    currency: str | None = None,
    price_type: PriceType | None = None,
    observed_from: dt.date | None = None,
    observed_to: dt.date | None = None,
) -> Series:
    """Published prices of a commodity at a market over time, oldest first, for charts: one
    variety, or all of them when none is named, every point in one unit and currency."""
    index = await load_index(session)
    c, m = index.commodity(commodity), index.market(market)
    if staff is not None:
        staff.check_country(m.country_code, f"market {m.slug}")
    v = index.variety(c, variety) if variety else None
    target_unit = index.unit(unit) if unit else None
    target_currency = currency_code(currency) if currency else None
    query = published_prices(
        c.id or 0,
        variety_id=v.id if v else None,
        price_type=price_type,
        observed_from=observed_from,
        observed_to=observed_to,
    ).where(PriceObservation.market_id == m.id)
    order = (col(PriceObservation.observed_on), col(PriceObservation.id))
    rows = list((await session.exec(query.order_by(*order))).all())
    if not rows:
        return ConvertedPrices().series(
            commodity=c,
            variety=v,
            market=m,
            unit=target_unit,
            currency=target_currency,
            price_type=price_type,
        )
    # One chart has one unit and currency: the one asked for, else the most recent one used.
    u = target_unit or index.unit_by_id[rows[-1].unit_id]
    cur = target_currency or rows[-1].currency
    book = await FxBook.load(session, {p.currency for p in rows} | {cur}, rows[-1].observed_on)
    found = convert_series(rows, index=index, unit=u, currency=cur, book=book)
    return found.series(
        commodity=c, variety=v, market=m, unit=u, currency=cur, price_type=price_type
    )
