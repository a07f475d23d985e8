"""Price curation endpoints for CDEs; exchange rates; the audit trail of a price."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import Response

from app.accounts.models import AuditPublic
from app.api.deps import AlertsDep, SessionDep, StaffDep
from app.api.imports import ImportResult, import_result
from app.core.ids import Id
from app.core.pagination import Page
from app.prices import board, compare, csv_import, curation, export, history, rates, reads, stale
from app.prices.models import (
    Comparison,
    FxRateIn,
    FxRatePublic,
    LatestPrice,
    MarketBoard,
    PriceCreate,
    PricePublic,
    PriceStatus,
    PriceType,
    PriceUpdate,
    PublishRequest,
    RejectRequest,
    Series,
    StaleSeries,
    WatchCreate,
    WatchPublic,
)

router = APIRouter(tags=["prices"])

FromQuery = Annotated[dt.date | None, Query(alias="from", description="Observed on or after")]
ToQuery = Annotated[dt.date | None, Query(alias="to", description="Observed on or before")]


async def _one(session: SessionDep, staff: StaffDep, price_id: Id) -> PricePublic:
    price = await curation.get_price(session, price_id=price_id, staff=staff)
    return (await reads.to_public(session, [price]))[0]


@router.post("/prices", status_code=201)
async def create_price(
    session: SessionDep, staff: StaffDep, alerts: AlertsDep, data: PriceCreate
) -> PricePublic:
    """Submit a price. It waits as `pending` for a CDE, unless a CDE sends `"publish": true`."""
    price = await curation.create_price(session, data=data, staff=staff, alerts=alerts)
    return (await reads.to_public(session, [price]))[0]


def price_filter(
    commodity: str | None = None,
    variety: str | None = None,
    market: str | None = None,
    country: str | None = None,
    status: PriceStatus | None = None,
    price_type: PriceType | None = None,
    observed_from: FromQuery = None,
    observed_to: ToQuery = None,
    source: Annotated[
        str | None, Query(max_length=64, description="Where it came from, as `source` shows it")
    ] = None,
    reports: Annotated[
        bool | None, Query(description="true: only field reporters' prices; false: none of them")
    ] = None,
) -> reads.PriceFilter:
    """The filters GET /prices and its CSV export share."""
    return reads.PriceFilter(
        commodity,
        variety,
        market,
        country,
        status,
        price_type,
        observed_from,
        observed_to,
        source,
        reports,
    )


@router.get("/prices")
async def list_prices(
    session: SessionDep,
    staff: StaffDep,
    filters: Annotated[reads.PriceFilter, Depends(price_filter)],
    cursor: Id | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[PricePublic]:
    """Newest first; pass `next_cursor` back as `cursor` for the next page."""
    return await reads.list_prices(
        session, staff=staff, filters=filters, cursor=cursor, limit=limit
    )


@router.get(
    "/prices/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "The prices as a CSV file"}},
)
async def export_prices(
    session: SessionDep,
    staff: StaffDep,
    filters: Annotated[reads.PriceFilter, Depends(price_filter)],
) -> Response:
    """The prices GET /prices lists with the same filters, every page, as one CSV file (UTF-8
    with a BOM, so spreadsheets show Burmese, Khmer and Lao)."""
    content = await export.export_prices(session, staff=staff, filters=filters)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="prices.csv"'},
    )


@router.get("/prices/latest")
async def latest_prices(
    session: SessionDep, staff: StaffDep, commodity: str, market: str
) -> list[LatestPrice]:
    """The newest published price per variety and price type, with the one before and the
    change."""
    return await reads.latest_prices(session, staff=staff, commodity=commodity, market=market)


@router.get("/prices/series")
async def price_series(
    session: SessionDep,
    staff: StaffDep,
    commodity: str,
    market: str,
    variety: str | None = None,
    unit: str | None = None,
    currency: str | None = None,
    price_type: PriceType | None = None,
    observed_from: FromQuery = None,
    observed_to: ToQuery = None,
) -> Series:
    """Published prices of one series, oldest first, in one unit and currency."""
    return await reads.price_series(
        session,
        staff=staff,
        commodity=commodity,
        market=market,
        variety=variety,
        unit=unit,
        currency=currency,
        price_type=price_type,
        observed_from=observed_from,
        observed_to=observed_to,
    )


@router.get("/prices/compare")
async def compare_prices(
    session: SessionDep,
    staff: StaffDep,
    commodity: str,
    market: Annotated[
        list[str] | None,
        Query(
            description=f"A market to compare (repeat it, at most {compare.MAX_MARKETS}); none:"
            " the markets of your countries with the most prices in these days"
        ),
    ] = None,
    variety: str | None = None,
    unit: Annotated[str | None, Query(description="None: the unit most prices use")] = None,
    currency: Annotated[str | None, Query(description="None: the currency most prices use")] = None,
    price_type: PriceType | None = None,
    days: Annotated[
        str,
        Query(
            max_length=4,
            description=f"Up to today: 1 to {compare.MAX_DAYS} days, or `all` for the whole"
            f" series (at most {compare.MAX_DAYS} days of it)",
        ),
    ] = str(compare.DEFAULT_DAYS),
) -> Comparison:
    """A commodity's published prices at several markets over the same days, each converted
    to one unit and currency, with the exchange rates used and the prices that could not be
    converted (with the reason)."""
    return await compare.compare_markets(
        session,
        staff=staff,
        commodity=commodity,
        markets=market or [],
        variety=variety,
        unit=unit,
        currency=currency,
        price_type=price_type,
        days=compare.days_of(days),
    )


@router.get("/prices/board")
async def market_board(session: SessionDep, staff: StaffDep, market: str) -> MarketBoard:
    """The newest published price of every commodity, variety and price type at a market,
    with the change since the one before; prices producers read as old are marked."""
    return await board.market_board(session, staff=staff, market=market)


@router.get("/prices/import/example", response_class=Response)
async def import_example() -> Response:
    """A CSV with every column the import understands, to copy and fill in."""
    content = resources.files("app.prices").joinpath("import_example.csv").read_bytes()
    return Response(content, media_type="text/csv")


@router.post(
    "/prices/import",
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": (
                        "commodity,variety,market,price,currency,unit,price_type,observed_on\n"
                        "mango,sein-ta-lone,muse,12600,CNY,tonne,border,2026-11-20\n"
                    ),
                }
            },
            "required": True,
        }
    },
)
async def import_prices(
    request: Request,
    session: SessionDep,
    staff: StaffDep,
    alerts: AlertsDep,
    publish: bool = False,
) -> ImportResult:
    """Upload a CSV (comma, semicolon or tab separated; UTF-8 with or without BOM) as the
    request body. Required columns: commodity, market, price, currency, unit, price_type,
    observed_on; optional: variety, price_min, price_max, note, external_key. Good rows are
    stored, bad rows are listed by line; a file that cannot be read stores nothing."""
    report = await csv_import.import_prices_csv(
        session, content=await request.body(), staff=staff, alerts=alerts, publish=publish
    )
    return import_result(report)


@router.get("/prices/stale")
async def list_stale(session: SessionDep, staff: StaffDep) -> list[StaleSeries]:
    """Followed series with no published price for longer than their window (in the market
    country's today); also reported once a day in the `housekeeping.stale` job run."""
    return await stale.stale_series(session, countries=staff.countries)


@router.get("/prices/watches")
async def list_watches(session: SessionDep, staff: StaffDep) -> list[WatchPublic]:
    return await stale.list_watches(session, staff=staff)


@router.post("/prices/watches", status_code=201)
async def watch_series(session: SessionDep, staff: StaffDep, data: WatchCreate) -> WatchPublic:
    """Follow a series: it is stale when no price is published for `max_age_days`."""
    found = await stale.watch(session, data=data, staff=staff)
    listed = await stale.list_watches(session, staff=staff)
    return next(w for w in listed if w.id == found.id)


@router.delete("/prices/watches/{watch_id}", status_code=204)
async def unwatch_series(session: SessionDep, staff: StaffDep, watch_id: Id) -> Response:
    await stale.unwatch(session, watch_id=watch_id, staff=staff)
    return Response(status_code=204)


@router.get("/prices/{price_id}")
async def get_price(session: SessionDep, staff: StaffDep, price_id: Id) -> PricePublic:
    return await _one(session, staff, price_id)


@router.patch("/prices/{price_id}")
async def correct_price(
    session: SessionDep, staff: StaffDep, price_id: Id, data: PriceUpdate
) -> PricePublic:
    """Correct a price; earlier versions stay in `/prices/{id}/history`."""
    await curation.correct_price(session, price_id=price_id, staff=staff, data=data)
    return await _one(session, staff, price_id)


@router.post("/prices/{price_id}/publish")
async def publish_price(
    session: SessionDep,
    staff: StaffDep,
    alerts: AlertsDep,
    price_id: Id,
    data: Annotated[PublishRequest | None, Body()] = None,
) -> PricePublic:
    """Publish: producers who follow this series are alerted."""
    confirm = data.confirm_outlier if data else False
    await curation.publish_price(
        session, price_id=price_id, staff=staff, alerts=alerts, confirm_outlier=confirm
    )
    return await _one(session, staff, price_id)


@router.post("/prices/{price_id}/reject")
async def reject_price(
    session: SessionDep, staff: StaffDep, price_id: Id, data: RejectRequest
) -> PricePublic:
    await curation.reject_price(session, price_id=price_id, staff=staff, reason=data.reason)
    return await _one(session, staff, price_id)


@router.get("/prices/{price_id}/history")
async def price_history(session: SessionDep, staff: StaffDep, price_id: Id) -> list[AuditPublic]:
    """Every change of this price, newest first, with the values before and after."""
    return await history.price_history(session, price_id=price_id, staff=staff)


@router.post("/fx-rates", status_code=201, tags=["exchange rates"])
async def add_fx_rate(session: SessionDep, staff: StaffDep, data: FxRateIn) -> FxRatePublic:
    rate = await rates.add_fx_rate(session, data=data, staff=staff)
    return FxRatePublic(**rate.model_dump())


@router.get("/fx-rates", tags=["exchange rates"])
async def list_fx_rates(
    session: SessionDep, staff: StaffDep, base: str | None = None, quote: str | None = None
) -> list[FxRatePublic]:
    return await rates.list_fx_rates(session, base=base, quote=quote)
