"""Price curation: submit, validate, flag outliers, publish, reject, correct, and read back."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.actor import Actor
from app.accounts.models import Role
from app.accounts.service import Staff, get_in_scope
from app.alerts import triggers
from app.catalogue.models import Commodity, Country, Market, Unit, Variety
from app.catalogue.service import CatalogueIndex, load_index
from app.core import clock
from app.core.amounts import RATE_PLACES, check_amount
from app.core.config import Settings
from app.core.csvfile import ImportReport, RowResult, first_error, read_csv
from app.core.errors import AppError, Conflict, Forbidden, InvalidInput
from app.core.pagination import MAX_LIMIT, Page
from app.prices import plausibility
from app.prices.currencies import currency_code
from app.prices.duplicates import exact_key, existing_twins, refuse_duplicate
from app.prices.fx import PIVOT, FxBook, convert_price
from app.prices.models import (
    Equivalents,
    FxRate,
    FxRateIn,
    FxRatePublic,
    LatestPrice,
    PriceCreate,
    PriceIn,
    PriceObservation,
    PricePublic,
    PriceStatus,
    PriceType,
    PriceUpdate,
    Series,
    SeriesPoint,
)
from app.text.normalize import normalize_text

MAX_AGE_DAYS = 365
_FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Resolved:
    """A submitted price with its catalogue references resolved and every value checked."""

    commodity: Commodity
    variety: Variety | None
    market: Market
    unit: Unit


def validate(data: PriceIn, index: CatalogueIndex, *, check_age: bool = True) -> Resolved:
    """Everything a CDE can get wrong, each with a message that says what and how to fix it.
    `check_age=False` when correcting an older price (one a source imported) in place."""
    commodity = index.commodity(data.commodity)
    variety = index.variety(commodity, data.variety) if data.variety else None
    market = index.market(data.market)
    unit = index.unit(data.unit)
    for name in ("price", "price_min", "price_max"):
        check_amount(name, getattr(data, name))
    if data.price_min is not None and data.price_min > data.price:
        raise InvalidInput(f"price_min {data.price_min} is above the price {data.price}")
    if data.price_max is not None and data.price_max < data.price:
        raise InvalidInput(f"price_max {data.price_max} is below the price {data.price}")
    today = clock.today(market.timezone)
    if data.observed_on > today:
        raise InvalidInput(
            f"observed_on {data.observed_on} is in the future (today in {market.slug} is {today})"
        )
    if check_age and data.observed_on < today - dt.timedelta(days=MAX_AGE_DAYS):
        raise InvalidInput(f"observed_on {data.observed_on} is more than a year ago")
    return Resolved(commodity, variety, market, unit)


async def _history(session: AsyncSession, price: PriceObservation) -> list[Decimal]:
    since = price.observed_on - dt.timedelta(days=plausibility.WINDOW_DAYS)
    query = select(col(PriceObservation.price)).where(
        PriceObservation.commodity_id == price.commodity_id,
        PriceObservation.market_id == price.market_id,
        PriceObservation.unit_id == price.unit_id,
        PriceObservation.currency == price.currency,
        PriceObservation.status == PriceStatus.PUBLISHED,
        col(PriceObservation.observed_on) >= since,
        col(PriceObservation.observed_on) <= price.observed_on,
    )
    query = query.where(
        col(PriceObservation.variety_id).is_(None)
        if price.variety_id is None
        else PriceObservation.variety_id == price.variety_id
    )
    if price.id is not None:
        query = query.where(PriceObservation.id != price.id)
    return [Decimal(p) for p in (await session.exec(query)).all()]


async def _flag(session: AsyncSession, price: PriceObservation) -> list[Decimal]:
    history = await _history(session, price)
    price.outlier = plausibility.is_outlier(Decimal(price.price), history)
    return history


def _refuse_unconfirmed_outlier(
    price: PriceObservation, history: list[Decimal], *, resend: str
) -> None:
    """422 for an implausible price nobody confirmed; `resend` says exactly what to send if it
    is right after all, for the request that was refused."""
    raise InvalidInput(
        f"implausible price: {plausibility.explain(Decimal(price.price), history)}. "
        f"Check it; if it is right, {resend}"
    )


async def _publish(
    session: AsyncSession, prices: Sequence[PriceObservation], actor: Actor, settings: Settings
) -> None:
    """Publish, audit, and alert the producers who follow each price."""
    now = clock.utcnow()
    befores = [audit.snapshot(p) for p in prices]
    for price in prices:
        price.status = PriceStatus.PUBLISHED
        price.reviewed_by = actor.name
        price.reviewed_at = price.updated_at = now
        session.add(price)
    await session.flush()
    for price, before in zip(prices, befores, strict=True):
        assert price.id is not None
        audit.record(
            session,
            actor=actor,
            action="price.publish",
            entity="price",
            entity_id=price.id,
            country=price.country_code,
            before=before,
            after=audit.snapshot(price),
        )
        await triggers.price_published(session, price=price, settings=settings)


def _build_price(
    data: PriceCreate, resolved: Resolved, actor: Actor, source: str, external_key: str | None
) -> PriceObservation:
    return PriceObservation(
        commodity_id=resolved.commodity.id,  # type: ignore[arg-type]
        variety_id=resolved.variety.id if resolved.variety else None,
        market_id=resolved.market.id,  # type: ignore[arg-type]
        country_code=resolved.market.country_code,
        price=data.price,
        price_min=data.price_min,
        price_max=data.price_max,
        currency=data.currency,
        unit_id=resolved.unit.id,  # type: ignore[arg-type]
        price_type=data.price_type,
        observed_on=data.observed_on,
        source=source,
        created_by=actor.name,
        external_key=external_key,
        note=normalize_text(data.note, max_chars=500) if data.note else None,
    )


async def _store(
    session: AsyncSession,
    prices: Sequence[PriceObservation],
    actor: Actor,
    *,
    publish: bool,
    settings: Settings,
) -> None:
    """Insert checked prices with their audit entries; publish them too if asked."""
    session.add_all(prices)
    await session.flush()
    for price in prices:
        assert price.id is not None
        audit.record(
            session,
            actor=actor,
            action="price.create",
            entity="price",
            entity_id=price.id,
            country=price.country_code,
            after=audit.snapshot(price),
        )
    if publish:
        await _publish(session, prices, actor, settings)


async def create_price(
    session: AsyncSession,
    *,
    data: PriceCreate,
    staff: Staff,
    settings: Settings,
    source: str = "api",
    external_key: str | None = None,
    index: CatalogueIndex | None = None,
) -> PriceObservation:
    """Store a submitted price as pending, or published at once when a CDE asks for it."""
    staff.require_writer()
    resolved = validate(data, index or await load_index(session))
    staff.check_country(resolved.market.country_code, f"market {resolved.market.slug}")
    return await _submit(session, data, resolved, staff.actor, settings, source, external_key)


async def report_price(
    session: AsyncSession,
    *,
    data: PriceCreate,
    reporter: Actor,
    settings: Settings,
    source: str,
    index: CatalogueIndex | None = None,
) -> PriceObservation:
    """A field reporter's price, sent by themselves: no token stands behind it, so the caller
    has decided that they may report at that market (their own country)."""
    resolved = validate(data, index or await load_index(session))
    return await _submit(session, data, resolved, reporter, settings, source, None)


async def _submit(
    session: AsyncSession,
    data: PriceCreate,
    resolved: Resolved,
    actor: Actor,
    settings: Settings,
    source: str,
    external_key: str | None,
) -> PriceObservation:
    if external_key is not None:
        existing = await session.exec(
            select(PriceObservation.id).where(PriceObservation.external_key == external_key)
        )
        if existing.first() is not None:
            raise Conflict(f"a price with external key {external_key!r} was already imported")
    price = _build_price(data, resolved, actor, source, external_key)
    await refuse_duplicate(session, price)
    history = await _flag(session, price)
    if data.publish and price.outlier and not data.confirm_outlier:
        _refuse_unconfirmed_outlier(
            price,
            history,
            resend='send the same request again with "confirm_outlier": true added '
            '(or without "publish" to leave it pending for review)',
        )
    try:
        async with session.begin_nested():
            await _store(session, [price], actor, publish=data.publish, settings=settings)
    except IntegrityError:
        # The same price was stored by a request racing this one: name it, as above.
        await refuse_duplicate(session, price)
        raise
    return price


async def get_price(session: AsyncSession, *, price_id: int, staff: Staff) -> PriceObservation:
    return await get_in_scope(session, PriceObservation, price_id, staff=staff, noun="price")


async def publish_price(
    session: AsyncSession,
    *,
    price_id: int,
    staff: Staff,
    settings: Settings,
    confirm_outlier: bool = False,
) -> PriceObservation:
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff)
    if price.status is not PriceStatus.PENDING:
        raise Conflict(f"price {price_id} is {price.status}; only pending prices can be published")
    history = await _flag(session, price)  # the series may have moved since it was submitted
    if price.outlier and not confirm_outlier:
        _refuse_unconfirmed_outlier(
            price,
            history,
            resend=f"publish it with POST /api/v1/prices/{price_id}/publish and the JSON body "
            '{"confirm_outlier": true}',
        )
    await _publish(session, [price], staff.actor, settings)
    return price


async def reject_price(
    session: AsyncSession, *, price_id: int, staff: Staff, reason: str
) -> PriceObservation:
    """Reject a pending price, or withdraw a published one that turned out to be wrong."""
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff)
    if price.status is PriceStatus.REJECTED:
        raise Conflict(f"price {price_id} is already rejected")
    before = audit.snapshot(price)
    price.status = PriceStatus.REJECTED
    price.reject_reason = reason
    price.reviewed_by = staff.name
    price.reviewed_at = price.updated_at = clock.utcnow()
    await audit.save(
        session,
        price,
        actor=staff,
        action="price.reject",
        entity="price",
        country=price.country_code,
        before=before,
    )
    return price


async def correct_price(
    session: AsyncSession, *, price_id: int, staff: Staff, data: PriceUpdate
) -> PriceObservation:
    """Apply a correction. The audit log keeps every earlier version of a published price."""
    staff.require_writer()
    price = await get_price(session, price_id=price_id, staff=staff)
    if price.status is PriceStatus.REJECTED:
        raise Conflict(f"price {price_id} is rejected; submit a new price instead")
    changes = data.model_dump(exclude_unset=True, exclude={"confirm_outlier"})
    if not changes:
        raise InvalidInput("nothing to change: send at least one field")
    index = await load_index(session)
    merged = PriceIn(
        commodity=index.commodity_by_id[price.commodity_id].slug,
        variety=index.variety_by_id[price.variety_id].slug if price.variety_id else None,
        market=index.market_by_id[price.market_id].slug,
        **{**_editable(price, index), **changes},
    )
    resolved = validate(merged, index, check_age="observed_on" in changes)
    before = audit.snapshot(price)
    price.price, price.price_min, price.price_max = merged.price, merged.price_min, merged.price_max
    price.currency, price.unit_id = merged.currency, resolved.unit.id  # type: ignore[assignment]
    price.price_type, price.observed_on = merged.price_type, merged.observed_on
    price.note = normalize_text(merged.note, max_chars=500) if merged.note else None
    price.updated_at = clock.utcnow()
    await refuse_duplicate(session, price)
    history = await _flag(session, price)
    if price.status is PriceStatus.PUBLISHED and price.outlier and not data.confirm_outlier:
        _refuse_unconfirmed_outlier(
            price, history, resend='send this correction again with "confirm_outlier": true added'
        )
    await audit.save(
        session,
        price,
        actor=staff,
        action="price.correct",
        entity="price",
        country=price.country_code,
        before=before,
    )
    return price


def _editable(price: PriceObservation, index: CatalogueIndex) -> dict[str, Any]:
    return {
        "price": price.price,
        "price_min": price.price_min,
        "price_max": price.price_max,
        "currency": price.currency,
        "unit": index.unit_by_id[price.unit_id].code,
        "price_type": price.price_type,
        "observed_on": price.observed_on,
        "note": price.note,
    }


# --- reading ------------------------------------------------------------------------------------


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
    if cursor is not None:
        query = query.where(col(PriceObservation.id) < cursor)
    rows = list((await session.exec(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=await to_public(session, rows),
        next_cursor=rows[-1].id if more and rows else None,
    )


def _change(latest: Decimal, previous: Decimal | None) -> Decimal | None:
    if previous is None or previous == 0:
        return None
    return ((latest - previous) / previous * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


async def latest_prices(
    session: AsyncSession, *, staff: Staff | None, commodity: str, market: str
) -> list[LatestPrice]:
    """Per variety, price type, unit and currency: the newest published price and the one before."""
    index = await load_index(session)
    c, m = index.commodity(commodity), index.market(market)
    if staff is not None:
        staff.check_country(m.country_code, f"market {m.slug}")
    rows = (
        await session.exec(
            select(PriceObservation)
            .where(
                PriceObservation.commodity_id == c.id,
                PriceObservation.market_id == m.id,
                PriceObservation.status == PriceStatus.PUBLISHED,
            )
            .order_by(col(PriceObservation.observed_on).desc(), col(PriceObservation.id).desc())
        )
    ).all()
    series: dict[tuple[Any, ...], list[PriceObservation]] = defaultdict(list)
    for p in rows:
        key = (p.variety_id, p.price_type, p.unit_id, p.currency)
        if len(series[key]) < 2:
            series[key].append(p)
    shown = await to_public(session, [p for pair in series.values() for p in pair])
    by_id = {p.id: p for p in shown}
    result = []
    for pair in series.values():
        latest, previous = (
            by_id[pair[0].id or 0],
            (by_id[pair[1].id or 0] if len(pair) > 1 else None),
        )
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
    return sorted(result, key=lambda r: (r.variety or "", r.price_type, r.unit, r.currency))


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
    query = select(PriceObservation).where(
        PriceObservation.commodity_id == c.id,
        PriceObservation.market_id == m.id,
        PriceObservation.status == PriceStatus.PUBLISHED,
    )
    if v is not None:
        query = query.where(PriceObservation.variety_id == v.id)
    if price_type:
        query = query.where(PriceObservation.price_type == price_type)
    if observed_from:
        query = query.where(col(PriceObservation.observed_on) >= observed_from)
    if observed_to:
        query = query.where(col(PriceObservation.observed_on) <= observed_to)
    order = (col(PriceObservation.observed_on), col(PriceObservation.id))
    rows = list((await session.exec(query.order_by(*order))).all())
    if not rows:
        return Series(
            commodity=c.slug,
            variety=v.slug if v else None,
            market=m.slug,
            unit=target_unit.code if target_unit else None,
            currency=target_currency,
            price_type=price_type,
            points=[],
        )
    # One chart has one unit and currency: the one asked for, else the most recent one used;
    # prices quoted otherwise are converted (kg factors, the FX rate in force on their date).
    u = target_unit or index.unit_by_id[rows[-1].unit_id]
    cur = target_currency or rows[-1].currency
    book = await FxBook.load(session, {p.currency for p in rows} | {cur}, rows[-1].observed_on)
    points, unconverted = [], []
    for p in rows:
        value = convert_price(
            Decimal(p.price), index.unit_by_id[p.unit_id], p.currency, u, cur, p.observed_on, book
        )
        if value is None:
            unconverted.append(p.id or 0)
            continue
        points.append(
            SeriesPoint(
                observed_on=p.observed_on,
                price=_q(value[0]) if value[1] else Decimal(p.price),
                price_id=p.id or 0,
                variety=index.variety_by_id[p.variety_id].slug if p.variety_id else None,
                price_type=p.price_type,
                converted=value[1],
            )
        )
    return Series(
        commodity=c.slug,
        variety=v.slug if v else None,
        market=m.slug,
        unit=u.code,
        currency=cur,
        price_type=price_type,
        points=points,
        unconverted_price_ids=unconverted,
    )


# --- CSV import ---------------------------------------------------------------------------------

CSV_REQUIRED = ("commodity", "market", "price", "currency", "unit", "price_type", "observed_on")
CSV_OPTIONAL = ("variety", "price_min", "price_max", "note", "external_key")


def _decimal(value: str, name: str) -> Decimal | None:
    """Plain numbers only: "1,500" could be fifteen hundred or one and a half, so no guessing."""
    if not value:
        return None
    if "," in value:
        raise InvalidInput(
            f"{name} {value!r}: write numbers without thousands separators, "
            "with a point for decimals"
        )
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise InvalidInput(f"{name} {value!r} is not a number") from exc


class _SeriesHistory:
    """Published prices of the series an import touches, loaded in one query, so that each
    row's plausibility check needs no query of its own."""

    def __init__(self, rows: Sequence[PriceObservation]) -> None:
        self._by_series: dict[tuple[Any, ...], list[PriceObservation]] = defaultdict(list)
        for row in rows:
            self.add(row)

    @staticmethod
    def _key(p: PriceObservation) -> tuple[Any, ...]:
        return (p.commodity_id, p.variety_id, p.market_id, p.unit_id, p.currency)

    @classmethod
    async def load(
        cls, session: AsyncSession, prices: Sequence[PriceObservation]
    ) -> _SeriesHistory:
        if not prices:
            return cls([])
        since = min(p.observed_on for p in prices) - dt.timedelta(days=plausibility.WINDOW_DAYS)
        rows = await session.exec(
            select(PriceObservation).where(
                PriceObservation.status == PriceStatus.PUBLISHED,
                col(PriceObservation.commodity_id).in_({p.commodity_id for p in prices}),
                col(PriceObservation.market_id).in_({p.market_id for p in prices}),
                col(PriceObservation.observed_on) >= since,
                col(PriceObservation.observed_on) <= max(p.observed_on for p in prices),
            )
        )
        return cls(rows.all())

    def add(self, price: PriceObservation) -> None:
        self._by_series[self._key(price)].append(price)

    def window(self, price: PriceObservation) -> list[Decimal]:
        since = price.observed_on - dt.timedelta(days=plausibility.WINDOW_DAYS)
        return [
            Decimal(p.price)
            for p in self._by_series[self._key(price)]
            if since <= p.observed_on <= price.observed_on
        ]


async def _taken_keys(session: AsyncSession, keys: Sequence[str]) -> dict[str, int]:
    """The stored prices with any of these external keys, by key."""
    taken: dict[str, int] = {}
    for start in range(0, len(keys), 500):  # stay well under every engine's parameter limit
        chunk = keys[start : start + 500]
        found = await session.exec(
            select(col(PriceObservation.external_key), col(PriceObservation.id)).where(
                col(PriceObservation.external_key).in_(chunk)
            )
        )
        taken.update((k, i) for k, i in found.all() if k and i is not None)
    return taken


async def import_prices_csv(
    session: AsyncSession,
    *,
    content: bytes,
    staff: Staff,
    settings: Settings,
    publish: bool = False,
) -> ImportReport:
    """Check every row first, then store the good ones in one go (in this one transaction) and
    report the rest by line. A row already stored (same external_key, or an exact duplicate of
    an unkeyed price, also one earlier in the same file) is reported as a duplicate with the
    stored price's id: importing a file again stores nothing twice. A file that is not a
    readable CSV of the documented columns, or a failure while storing, stores nothing."""
    staff.require_writer()
    csv_file = read_csv(content, required=CSV_REQUIRED, optional=CSV_OPTIONAL)
    index = await load_index(session)
    report = ImportReport()
    keys = [row.values["external_key"] for row in csv_file.rows if row.values.get("external_key")]
    taken = await _taken_keys(session, keys)
    checked: list[tuple[int, PriceObservation]] = []
    for row in csv_file.rows:
        if row.error:
            report.rejected.append(RowResult(row.line, error=row.error))
            continue
        v = row.values
        try:
            data = PriceCreate.model_validate(
                {
                    **{k: (value or None) for k, value in v.items() if k != "external_key"},
                    "price": _decimal(v["price"], "price"),
                    "price_min": _decimal(v.get("price_min", ""), "price_min"),
                    "price_max": _decimal(v.get("price_max", ""), "price_max"),
                }
            )
            resolved = validate(data, index)
            staff.check_country(resolved.market.country_code, f"market {resolved.market.slug}")
            key = v.get("external_key") or None
            if key in taken:
                report.duplicates.append(RowResult(row.line, id=taken[key]))
                continue
            checked.append((row.line, _build_price(data, resolved, staff.actor, "csv", key)))
        except ValidationError as exc:
            report.rejected.append(RowResult(row.line, error=first_error(exc)))
        except AppError as exc:  # unknown names, bad values, out of scope
            report.rejected.append(RowResult(row.line, error=str(exc.detail)))
    checked = await _without_duplicates(session, checked, report)
    history = await _SeriesHistory.load(session, [p for _, p in checked])
    accepted: list[tuple[int, PriceObservation]] = []
    for line, price in checked:
        past = history.window(price)
        price.outlier = plausibility.is_outlier(Decimal(price.price), past)
        if publish and price.outlier:
            report.rejected.append(
                RowResult(
                    line,
                    error=f"implausible price: {plausibility.explain(Decimal(price.price), past)}; "
                    "import it unpublished, check it, then publish it with confirm_outlier",
                )
            )
            continue
        accepted.append((line, price))
        if publish:
            history.add(price)  # what this file publishes is history for its later rows
    await _store(session, [p for _, p in accepted], staff.actor, publish=publish, settings=settings)
    report.accepted = [RowResult(line, id=p.id) for line, p in accepted]
    stored_lines = {line: p.id for line, p in accepted}
    for result in list(report.duplicates):  # a repeat of an earlier row gets that row's id
        if result.line_of_original is None:
            continue
        result.id = stored_lines.get(result.line_of_original)
        if result.id is None:
            report.duplicates.remove(result)
            report.rejected.append(
                RowResult(result.line, error=f"repeats line {result.line_of_original}")
            )
    report.rejected.sort(key=lambda r: r.line)
    report.duplicates.sort(key=lambda r: r.line)
    return report


async def _without_duplicates(
    session: AsyncSession, checked: list[tuple[int, PriceObservation]], report: ImportReport
) -> list[tuple[int, PriceObservation]]:
    """The checked rows that are new: neither stored already nor repeating an earlier row of
    the file (by external key or, for unkeyed rows, exactly); the others go to duplicates."""
    stored = await existing_twins(session, [p for _, p in checked if p.external_key is None])
    first_line: dict[Any, int] = {}
    kept = []
    for line, price in checked:
        seen = price.external_key or exact_key(price)
        if price.external_key is None and exact_key(price) in stored:
            report.duplicates.append(RowResult(line, id=stored[exact_key(price)].id))
        elif seen in first_line:
            report.duplicates.append(RowResult(line, line_of_original=first_line[seen]))
        else:
            first_line[seen] = line
            kept.append((line, price))
    return kept


# --- exchange rates -----------------------------------------------------------------------------


async def _rate_country(session: AsyncSession, data: FxRateIn, staff: Staff) -> str | None:
    """The country a rate is about, checked against the caller's scope. Every price in a
    country is converted through its currency's rates, so a CDE writes only rates of their own
    countries' currencies (kyat against yuan or dollar for Myanmar), never another country's:
    an admin writes those, and rates between two foreign currencies."""
    owners = {
        c.currency: c.code
        for c in (await session.exec(select(Country))).all()
        if c.currency in (data.base, data.quote)
    }
    if staff.role is Role.ADMIN:
        return next(iter(owners.values())) if len(owners) == 1 else None
    pair = f"{data.base}/{data.quote}"
    for currency, country in owners.items():
        if not staff.can_see(country):
            raise Forbidden(
                f"{currency} is the currency of {country}; your token covers"
                f" {', '.join(sorted(staff.countries or ()))}, so {pair} is not yours to set"
            )
    if not owners:
        raise Forbidden(f"{pair} is no country's currency pair; only admins set it")
    return sorted(owners.values())[0]


async def add_fx_rate(session: AsyncSession, *, data: FxRateIn, staff: Staff) -> FxRate:
    staff.require_writer()
    if data.base == data.quote:
        raise InvalidInput("base and quote are the same currency")
    country = await _rate_country(session, data, staff)
    check_amount("rate", data.rate, places=RATE_PLACES)
    existing = (
        await session.exec(
            select(FxRate).where(
                FxRate.base == data.base,
                FxRate.quote == data.quote,
                FxRate.on_date == data.on_date,
                FxRate.source == data.source,
            )
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"{data.source} already has {data.base}/{data.quote} for {data.on_date} "
            f"(rate {existing.rate})"
        )
    rate = FxRate(**data.model_dump())
    await audit.save(
        session,
        rate,
        actor=staff,
        action="fx_rate.create",
        entity="fx_rate",
        country=country,
    )
    return rate


async def list_fx_rates(
    session: AsyncSession, *, base: str | None = None, quote: str | None = None, limit: int = 100
) -> list[FxRatePublic]:
    query = select(FxRate).order_by(col(FxRate.on_date).desc(), col(FxRate.id).desc())
    if base:
        query = query.where(FxRate.base == base.upper())
    if quote:
        query = query.where(FxRate.quote == quote.upper())
    rows = (await session.exec(query.limit(max(1, min(limit, MAX_LIMIT))))).all()
    return [FxRatePublic(**r.model_dump()) for r in rows]
