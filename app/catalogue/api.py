"""Read-only catalogue endpoints; the catalogue is public reference data, so no token is needed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import SessionDep
from app.catalogue import service
from app.catalogue.models import CommodityPublic, CountryPublic, MarketPublic, UnitPublic

router = APIRouter(tags=["catalogue"])

LocaleQuery = Annotated[
    str | None,
    Query(description="Locale for `name` (en, my, km, lo, vi, zh); `names` always has them all"),
]


@router.get("/countries")
async def list_countries(session: SessionDep, locale: LocaleQuery = None) -> list[CountryPublic]:
    return await service.list_countries(session, locale=service.check_locale(locale))


@router.get("/markets")
async def list_markets(
    session: SessionDep,
    country: Annotated[str | None, Query(description="ISO code: MM, KH, LA or VN")] = None,
    locale: LocaleQuery = None,
) -> list[MarketPublic]:
    return await service.list_markets(session, country=country, locale=service.check_locale(locale))


@router.get("/markets/{slug}")
async def get_market(session: SessionDep, slug: str, locale: LocaleQuery = None) -> MarketPublic:
    return await service.get_market(session, slug=slug, locale=service.check_locale(locale))


@router.get("/commodities")
async def list_commodities(
    session: SessionDep, locale: LocaleQuery = None
) -> list[CommodityPublic]:
    return await service.list_commodities(session, locale=service.check_locale(locale))


@router.get("/commodities/{slug}")
async def get_commodity(
    session: SessionDep, slug: str, locale: LocaleQuery = None
) -> CommodityPublic:
    found = await service.list_commodities(session, locale=service.check_locale(locale), slug=slug)
    return found[0]


@router.get("/units")
async def list_units(session: SessionDep, locale: LocaleQuery = None) -> list[UnitPublic]:
    return await service.list_units(session, locale=service.check_locale(locale))
