"""Series a CDE follows, and which of them have gone without a published price too long."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.service import Staff, get_in_scope
from app.catalogue.service import country_zones, load_index
from app.core import clock
from app.core.db import core_table, run_core
from app.core.errors import Conflict
from app.prices.models import (
    PriceObservation,
    PriceStatus,
    SeriesWatch,
    SilentSeries,
    StaleSeries,
    WatchCreate,
    WatchPublic,
)

# A published price older than this is marked as old in the answers producers get (app.commands),
# so a series without a newer one is stale for the CDE at the same age, unless a watch gives it a
# window of its own.
FRESH_DAYS = 14
# Series silent for longer have ended (a source that stopped, a season over), not gone stale:
# prices this old cannot even be submitted (app.prices.curation.MAX_AGE_DAYS).
ENDED_DAYS = 365


def is_old(observed_on: dt.date, timezone: str) -> bool:
    """A published price older than FRESH_DAYS in the market's today (`timezone` is the
    market's): what producers' answers and the market boards mark as old."""
    return observed_on < clock.today(timezone) - dt.timedelta(days=FRESH_DAYS)


async def watch(session: AsyncSession, *, data: WatchCreate, staff: Staff) -> SeriesWatch:
    staff.require_writer()
    index = await load_index(session)
    commodity, market = index.commodity(data.commodity), index.market(data.market)
    staff.check_country(market.country_code, f"market {market.slug}")
    taken = await session.exec(
        select(SeriesWatch.id).where(
            SeriesWatch.commodity_id == commodity.id, SeriesWatch.market_id == market.id
        )
    )
    if taken.first() is not None:
        raise Conflict(f"{commodity.slug} at {market.slug} is already followed")
    found = SeriesWatch(
        commodity_id=commodity.id or 0,
        market_id=market.id or 0,
        country_code=market.country_code,
        max_age_days=data.max_age_days,
        created_by=staff.name,
    )
    await audit.save(
        session,
        found,
        actor=staff,
        action="watch.create",
        entity="series_watch",
        country=found.country_code,
    )
    return found


async def unwatch(session: AsyncSession, *, watch_id: int, staff: Staff) -> None:
    staff.require_writer()
    found = await get_in_scope(session, SeriesWatch, watch_id, staff=staff, noun="watch")
    before = audit.snapshot(found)
    await session.delete(found)
    audit.record(
        session,
        actor=staff,
        action="watch.delete",
        entity="series_watch",
        entity_id=watch_id,
        country=found.country_code,
        before=before,
    )
    await session.flush()


async def list_watches(session: AsyncSession, *, staff: Staff) -> list[WatchPublic]:
    return [
        WatchPublic(**s.model_dump(exclude={"stale", "last_published"}))
        for s in await stale_series(session, countries=staff.countries, only_stale=False)
    ]


async def stale_series(
    session: AsyncSession, *, countries: Collection[str] | None, only_stale: bool = True
) -> list[StaleSeries]:
    """Followed series with their newest published date; stale when older than the window in
    the market country's today."""
    p = core_table(PriceObservation).c
    latest = (
        sa.select(p.commodity_id, p.market_id, sa.func.max(p.observed_on).label("last"))
        .where(p.status == PriceStatus.PUBLISHED)
        .group_by(p.commodity_id, p.market_id)
        .subquery()
    )
    w = core_table(SeriesWatch).c
    query = (
        sa.select(w.id, w.commodity_id, w.market_id, w.country_code, w.max_age_days, latest.c.last)
        .outerjoin(
            latest,
            sa.and_(latest.c.commodity_id == w.commodity_id, latest.c.market_id == w.market_id),
        )
        .order_by(w.country_code, w.id)
    )
    if countries is not None:
        query = query.where(w.country_code.in_(list(countries)))
    rows = (await run_core(session, query)).all()
    index = await load_index(session)
    zones = await country_zones(session)
    out = []
    for watch_id, commodity_id, market_id, country, max_age, last in rows:
        today = clock.today(zones[country])
        is_stale = last is None or (today - last).days > max_age
        if is_stale or not only_stale:
            out.append(
                StaleSeries(
                    id=watch_id,
                    commodity=index.commodity_by_id[commodity_id].slug,
                    market=index.market_by_id[market_id].slug,
                    country=country,
                    max_age_days=max_age,
                    last_published=last,
                    stale=is_stale,
                )
            )
    return out


async def silent_series(
    session: AsyncSession,
    *,
    countries: Collection[str] | None,
    limit: int,
    fresh_days: int = FRESH_DAYS,
) -> tuple[int, list[SilentSeries]]:
    """Published series nobody watches whose newest price is older than `fresh_days` (in the
    market country's today) but not ended: how many, and the `limit` that went silent last."""
    p = core_table(PriceObservation).c
    w = core_table(SeriesWatch).c
    zones = await country_zones(session)
    wanted = sorted(zones if countries is None else set(countries) & set(zones))
    if not wanted:
        return 0, []
    last = sa.func.max(p.observed_on)
    window = []
    for country in wanted:
        today = clock.today(zones[country])
        window.append(
            sa.and_(
                p.country_code == country,
                last < today - dt.timedelta(days=fresh_days),
                last >= today - dt.timedelta(days=ENDED_DAYS),
            )
        )
    watched = sa.exists().where(w.commodity_id == p.commodity_id, w.market_id == p.market_id)
    series = (
        sa.select(p.commodity_id, p.market_id, p.country_code, last.label("last"))
        .where(p.status == PriceStatus.PUBLISHED, p.country_code.in_(wanted), ~watched)
        .group_by(p.commodity_id, p.market_id, p.country_code)
        .having(sa.or_(*window))
        .subquery()
    )
    total = (await run_core(session, sa.select(sa.func.count()).select_from(series))).scalar_one()
    rows = (
        await run_core(
            session,
            sa.select(series)
            .order_by(series.c.last.desc(), series.c.country_code, series.c.market_id)
            .limit(limit),
        )
    ).all()
    index = await load_index(session)
    return total, [
        SilentSeries(
            commodity=index.commodity_by_id[commodity_id].slug,
            market=index.market_by_id[market_id].slug,
            country=country,
            last_published=last_on,
            days=(clock.today(zones[country]) - last_on).days,
        )
        for commodity_id, market_id, country, last_on in rows
    ]
