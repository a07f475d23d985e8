"""Exchange rates as staff enter and list them, each writer kept to their countries' currencies."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.accounts import audit
from app.accounts.models import Role
from app.accounts.service import Staff
from app.catalogue.models import Country
from app.core.amounts import RATE_PLACES, check_amount
from app.core.errors import Conflict, Forbidden, InvalidInput
from app.core.pagination import MAX_LIMIT
from app.prices.models import FxRate, FxRateIn, FxRatePublic


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
